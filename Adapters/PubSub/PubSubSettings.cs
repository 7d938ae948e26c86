using System.Text.Json;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// A Pub/Sub destination's settings, checked once when the configuration is loaded. The <c>resourceUrl</c> is the
/// topic: <c>projects/P/topics/T</c>, a bare topic ID <c>T</c> (the project then comes from the service account's
/// <c>project_id</c>), or either behind an endpoint, <c>http://127.0.0.1:8085/projects/P/topics/T</c> (a local peer:
/// the endpoint is that host; <c>/v1/</c> before <c>projects</c> is allowed). <c>#{imsi}</c> is allowed once, in the
/// topic ID only.
/// </summary>
internal sealed class PubSubSettings
{
    public const string Placeholder = "#{imsi}";

    /// <summary>The destination's keys: SORACOM's, then the gateway's own (<c>endpoint</c>, <c>orderingKey</c>, <c>transport</c>).</summary>
    private static readonly string[] KnownKeys = ["provider", "service", "resourceUrl", "payloadsOnly", "endpoint", "orderingKey", "transport"];

    /// <summary>Stands in for <c>#{imsi}</c> when the topic ID is checked.</summary>
    private const string SampleImsi = "001010000000000";

    /// <summary>The endpoint named by the destination (<c>endpoint</c> or the resource URL's host), or null for the default.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The project, or null when the resource URL is a bare topic ID (the service account's project).</summary>
    public string? Project { get; init; }

    /// <summary>The topic ID as configured (may hold <c>#{imsi}</c>).</summary>
    public required string TopicId { get; init; }

    /// <summary>The resource URL before and after <c>#{imsi}</c>: what every message's target starts and ends with.</summary>
    public string TargetPrefix { get; init; } = "";

    public string TargetSuffix { get; init; } = "";

    public bool IsPerSubscriber => TopicId.Contains(Placeholder, StringComparison.Ordinal);

    /// <summary>True when the IMSI is each message's ordering key (<c>"orderingKey": "imsi"</c>).</summary>
    public bool OrderingByImsi { get; init; }

    /// <summary>True for the REST API (<c>"transport": "rest"</c>), false for gRPC (the default).</summary>
    public bool UseRest { get; init; }

    /// <summary>Reads and checks the destination, adding one error per problem under <paramref name="path"/>; null when any.</summary>
    public static PubSubSettings? Parse(FunnelDestination destination, string path, List<string> errors)
    {
        var before = errors.Count;
        var urlPath = $"{path}.resourceUrl";
        var url = destination.ResourceUrl;
        Uri? endpoint = null;
        var rest = url;
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var hostStart = url.IndexOf("://", StringComparison.Ordinal) + 3;
            var slash = url.IndexOf('/', hostStart);
            var root = slash < 0 ? url : url[..slash];
            endpoint = EndpointOf(root, urlPath, errors);
            rest = slash < 0 ? "" : url[(slash + 1)..];
            if (rest.StartsWith("v1/", StringComparison.Ordinal))
                rest = rest[3..];
        }

        string? project = null;
        string topicId;
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            if (!PubSubTopic.TrySplit(rest, out var p, out topicId))
            {
                errors.Add($"{urlPath}: must be a topic, projects/PROJECT/topics/TOPIC or a bare topic ID (optionally after http(s)://host:port/)");
                return null;
            }
            project = p;
            if (project.Contains(Placeholder, StringComparison.Ordinal))
                errors.Add($"{urlPath}: #{{imsi}} is allowed in the topic ID only, not in the project");
            else if (PubSubTopic.ProjectError(project) is { } projectError)
                errors.Add($"{urlPath}: project '{project}' {projectError}");
        }
        else
        {
            topicId = rest;
        }

        var first = topicId.IndexOf(Placeholder, StringComparison.Ordinal);
        if (first >= 0 && topicId.IndexOf(Placeholder, first + 1, StringComparison.Ordinal) >= 0)
            errors.Add($"{urlPath}: #{{imsi}} may appear once");
        else if (topicId.Length == 0)
            errors.Add($"{urlPath}: names no topic; expected projects/PROJECT/topics/TOPIC");
        else if (PubSubTopic.TopicIdError(topicId.Replace(Placeholder, SampleImsi, StringComparison.Ordinal)) is { } topicError)
            errors.Add($"{urlPath}: topic '{topicId}' {topicError}");

        var settings = destination.Settings;
        foreach (var (name, _) in settings)
        {
            // Unknown keys are refused so that typos surface at load, as for the other destinations.
            if (!KnownKeys.Contains(name))
                errors.Add($"{path}.{name}: unknown key for google/pubsub; known: {string.Join(", ", KnownKeys)}");
        }

        if (settings["endpoint"] is { } node)
        {
            if (node.GetValueKind() == JsonValueKind.String && node.GetValue<string>() is { Length: > 0 } text)
            {
                if (endpoint is not null)
                    errors.Add($"{path}.endpoint: the resourceUrl already names an endpoint; give one or the other");
                else
                    endpoint = EndpointOf(text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text, $"{path}.endpoint", errors);
            }
            else
            {
                errors.Add($"{path}.endpoint: must be a string, http(s)://host[:port] or host:port (plain HTTP, as PUBSUB_EMULATOR_HOST)");
            }
        }

        var ordering = false;
        if (settings["orderingKey"] is { } orderingNode)
        {
            var value = orderingNode.GetValueKind() == JsonValueKind.String ? orderingNode.GetValue<string>() : null;
            if (value is "imsi")
                ordering = true;
            else if (value is not "none")
                errors.Add($"{path}.orderingKey: must be \"none\" (the default) or \"imsi\"");
        }

        var useRest = false;
        if (settings["transport"] is { } transportNode)
        {
            var value = transportNode.GetValueKind() == JsonValueKind.String ? transportNode.GetValue<string>() : null;
            if (value is "rest")
                useRest = true;
            else if (value is not "grpc")
                errors.Add($"{path}.transport: must be \"grpc\" (the default) or \"rest\"");
        }

        if (errors.Count != before)
            return null;
        var at = url.IndexOf(Placeholder, StringComparison.Ordinal);
        return new PubSubSettings
        {
            Endpoint = endpoint,
            Project = project,
            TopicId = topicId,
            TargetPrefix = at < 0 ? url : url[..at],
            TargetSuffix = at < 0 ? "" : url[(at + Placeholder.Length)..],
            OrderingByImsi = ordering,
            UseRest = useRest,
        };
    }

    /// <summary>The IMSI a message's target holds in place of <c>#{imsi}</c>, or null when the target is not of this destination.</summary>
    public string? ImsiOf(string target) =>
        target.Length > TargetPrefix.Length + TargetSuffix.Length
        && target.StartsWith(TargetPrefix, StringComparison.Ordinal)
        && target.EndsWith(TargetSuffix, StringComparison.Ordinal)
            ? target[TargetPrefix.Length..^TargetSuffix.Length]
            : null;

    /// <summary>A root URL (scheme, host, port; no user information, path, query or #{imsi}), or null with an error.</summary>
    private static Uri? EndpointOf(string root, string path, List<string> errors)
    {
        if (root.Contains('@', StringComparison.Ordinal))
        {
            errors.Add($"{path}: user information does not belong in the endpoint (not echoed here); use a google-service-account-json set");
            return null;
        }
        if (root.Contains(Placeholder, StringComparison.Ordinal))
        {
            errors.Add($"{path}: #{{imsi}} is allowed in the topic ID only, not in the endpoint");
            return null;
        }
        var trimmed = root.TrimEnd('/');
        if (!Uri.TryCreate(trimmed + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length != 0 || uri.Fragment.Length != 0 || uri.Host.Length == 0)
        {
            errors.Add($"{path}: '{root}' is not http(s)://host[:port]");
            return null;
        }
        return uri;
    }
}
