using System.Text.Json;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// Maps Pub/Sub's answers, over gRPC or REST, to delivery results. The REST API answers errors as
/// <c>{"error": {"code": 404, "message": "…", "status": "NOT_FOUND"}}</c>; the canonical <c>status</c> decides, the
/// HTTP status when there is none. Retryable as Google's own publisher retries: <c>RESOURCE_EXHAUSTED</c>,
/// <c>UNAVAILABLE</c>, <c>DEADLINE_EXCEEDED</c>, <c>INTERNAL</c>, <c>ABORTED</c>, <c>UNKNOWN</c>, <c>CANCELLED</c>.
/// Reasons are fixed texts with the status name and the topic; the service's own message is passed on only for
/// <c>INVALID_ARGUMENT</c> and <c>FAILED_PRECONDITION</c> (it names what in the request was wrong), clipped.
/// </summary>
internal static class PubSubErrors
{
    private const int MaxQuotedMessage = 200;

    /// <summary>The service answered, but not with one message ID per message sent.</summary>
    public static readonly DeliveryResult MissingIds =
        DeliveryResult.Transient(502, "google/pubsub: the service's answer did not list one message ID per message");

    /// <summary>The request's own timeout (not the caller's deadline) ended it.</summary>
    public static readonly DeliveryResult TimedOut = DeliveryResult.Transient(504, "google/pubsub: the request to the service timed out");

    /// <summary>The caller's deadline passed first. The service may still have taken the request: a retry can duplicate.</summary>
    public static readonly DeliveryResult DeadlinePassed = DeliveryResult.Transient(504, "google/pubsub: no answer from the service before the deadline");

    /// <summary>No connection (refused, reset, no route, name not found): <paramref name="error"/> is .NET's category for it.</summary>
    public static DeliveryResult Unreachable(string error) => DeliveryResult.Transient(502, $"google/pubsub: the service is unreachable ({error})");

    /// <summary>A REST answer: the status in its JSON error, else the HTTP status.</summary>
    public static DeliveryResult Map(int httpStatus, ReadOnlySpan<byte> body, string topic)
    {
        var (status, message) = Parse(body);
        status ??= httpStatus switch
        {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            413 => "REQUEST_TOO_LARGE",
            429 => "RESOURCE_EXHAUSTED",
            499 => "CANCELLED",
            501 => "UNIMPLEMENTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            >= 500 => "INTERNAL",
            _ => $"HTTP {httpStatus}",
        };
        return ForStatus(status, httpStatus, message, topic);
    }

    /// <summary>A canonical status (<c>NOT_FOUND</c>, …) as a result; <paramref name="httpStatus"/> 0 for gRPC.</summary>
    public static DeliveryResult ForStatus(string status, int httpStatus, string? message, string topic) => status switch
    {
        "RESOURCE_EXHAUSTED" => DeliveryResult.Transient(429, $"google/pubsub: throttled by the service ({status})"),
        "UNAVAILABLE" => DeliveryResult.Transient(503, $"google/pubsub: the service is unavailable ({status})"),
        "DEADLINE_EXCEEDED" => DeliveryResult.Transient(504, $"google/pubsub: the service did not finish in time ({status})"),
        "INTERNAL" or "ABORTED" or "UNKNOWN" or "CANCELLED" => DeliveryResult.Transient(502, $"google/pubsub: the service failed ({status})"),
        "NOT_FOUND" => DeliveryResult.Permanent(404, $"google/pubsub: topic {topic} not found"),
        "PERMISSION_DENIED" => DeliveryResult.Permanent(403, $"google/pubsub: the service account may not publish to topic {topic} ({status})"),
        "UNAUTHENTICATED" => DeliveryResult.Permanent(401, $"google/pubsub: the service refused the credentials ({status})"),
        "REQUEST_TOO_LARGE" => DeliveryResult.Permanent(413, "google/pubsub: the message is larger than the service accepts"),
        "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "OUT_OF_RANGE"
            => DeliveryResult.Permanent(400, $"google/pubsub: the service refused the request for topic {topic} ({status}{Quote(message)})"),
        _ => httpStatus is 0 or >= 500
            ? DeliveryResult.Transient(502, $"google/pubsub: the service failed ({Clip(status)})")
            : DeliveryResult.Permanent(httpStatus is >= 400 and < 500 ? httpStatus : 502, $"google/pubsub: the service refused the request ({Clip(status)})"),
    };

    /// <summary>gRPC's status as the canonical name the REST API uses.</summary>
    public static string CanonicalName(Grpc.Core.StatusCode code) => code switch
    {
        Grpc.Core.StatusCode.OK => "OK",
        Grpc.Core.StatusCode.Cancelled => "CANCELLED",
        Grpc.Core.StatusCode.Unknown => "UNKNOWN",
        Grpc.Core.StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        Grpc.Core.StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        Grpc.Core.StatusCode.NotFound => "NOT_FOUND",
        Grpc.Core.StatusCode.AlreadyExists => "ALREADY_EXISTS",
        Grpc.Core.StatusCode.PermissionDenied => "PERMISSION_DENIED",
        Grpc.Core.StatusCode.Unauthenticated => "UNAUTHENTICATED",
        Grpc.Core.StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        Grpc.Core.StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        Grpc.Core.StatusCode.Aborted => "ABORTED",
        Grpc.Core.StatusCode.OutOfRange => "OUT_OF_RANGE",
        Grpc.Core.StatusCode.Unimplemented => "UNIMPLEMENTED",
        Grpc.Core.StatusCode.Internal => "INTERNAL",
        Grpc.Core.StatusCode.Unavailable => "UNAVAILABLE",
        Grpc.Core.StatusCode.DataLoss => "DATA_LOSS",
        _ => "UNKNOWN",
    };

    /// <summary>The error's canonical status and message, from the object or the one-element array form.</summary>
    private static (string? Status, string? Message) Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return (null, null);
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
                root = root[0];
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
                return (null, null);
            string? status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            string? message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (status is { Length: > 0 } && status.All(static c => char.IsAsciiLetterUpper(c) || c == '_') ? status : null, message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string Quote(string? message) =>
        string.IsNullOrWhiteSpace(message) ? "" : ": " + Clip(message.ReplaceLineEndings(" "));

    private static string Clip(string text) => text.Length <= MaxQuotedMessage ? text : text[..MaxQuotedMessage] + "…";
}
