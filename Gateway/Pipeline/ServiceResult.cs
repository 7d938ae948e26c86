namespace Gateway.Pipeline;

/// <summary>
/// What one service made of one message. <see cref="Status"/> and <see cref="Body"/> are what the unified endpoint
/// reports in its <c>detail</c> (<c>{"statusCode":…, "body":"…"}</c>); the <c>Native*</c> members are the service's
/// own reply in the entry point's form, used when the device addressed that service alone (or Auto with one service).
/// </summary>
internal sealed class ServiceResult
{
    /// <summary>The service's <see cref="IDeviceService.Name"/>.</summary>
    public required string Service { get; init; }

    /// <summary>HTTP-style status: the destination's, or the gateway's own (400, 413, 502, 504, …).</summary>
    public required int Status { get; init; }

    /// <summary>The reply body (the destination's, bounded; or the gateway's reason as UTF-8 text).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The gateway's own reason when the delivery failed or was refused before reaching a destination; null otherwise.</summary>
    public string? Failure { get; init; }

    /// <summary>
    /// The metric tag of <see cref="Failure"/> (<c>upstream_refused</c>, <c>upstream_timeout</c>, …), so that an entry
    /// point that counts outcomes in a counter of its own keeps counting the same words; null without a failure.
    /// </summary>
    public string? FailureMetric { get; init; }

    /// <summary>TCP/UDP: the exact bytes the device gets when this service answers alone (SORACOM's per-service rules). Empty: send nothing.</summary>
    public byte[] NativeText { get; init; } = [];

    /// <summary>HTTP device endpoints: the Content-Type of <see cref="Body"/> when this service answers alone; null for none.</summary>
    public string? NativeContentType { get; init; }

    /// <summary>TCP: close the connection after the reply (Funnel does so after an invalid-JSON refusal).</summary>
    public bool CloseConnection { get; init; }

    /// <summary>True for a 1xx–3xx status with no failure.</summary>
    public bool Succeeded => Failure is null && Status is >= 100 and < 400;

    private static readonly System.Text.Json.JsonWriterOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A service's refusal in SORACOM's per-service forms (Funnel's and Harvest's alike): HTTP <c>{"message": reason}</c>
    /// as JSON, TCP/UDP <c>&lt;status&gt; &lt;reason&gt;</c>; the unified detail carries the reason as text.
    /// </summary>
    public static ServiceResult Refusal(string service, SourceProtocol protocol, int status, string reason, string? metric = null, bool closeConnection = false)
    {
        var http = protocol == SourceProtocol.Http;
        return new ServiceResult
        {
            Service = service,
            Status = status,
            Failure = reason,
            FailureMetric = metric,
            Body = http ? MessageJson(reason) : System.Text.Encoding.UTF8.GetBytes(reason),
            NativeText = System.Text.Encoding.UTF8.GetBytes($"{status} {reason}"),
            NativeContentType = http ? "application/json" : null,
            CloseConnection = closeConnection,
        };
    }

    private static byte[] MessageJson(string reason)
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream, s_json))
        {
            writer.WriteStartObject();
            writer.WriteString("message"u8, reason);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
