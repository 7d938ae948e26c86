using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Adapters.Aws;

/// <summary>
/// An AWS destination's settings, checked when the registry loads them: the resourceUrl (endpoint, region, name) and
/// the keys each service takes. Unknown keys are refused so that typos surface at load; <c>sendPayloadsAsBinary:
/// false</c> is taken everywhere (SORACOM's console writes it), <c>true</c> only for <c>aws-iot</c>.
/// </summary>
internal sealed class AwsSettings
{
    public const double DefaultTimeoutSeconds = 10, MaxTimeoutSeconds = 300;

    /// <summary>A 15-digit IMSI stands in for <c>#{imsi}</c> when a name's length and characters are checked.</summary>
    private const string SampleImsi = "001010000000000";

    private static readonly string[] s_common = ["provider", "service", "resourceUrl", "payloadsOnly", "sendPayloadsAsBinary", "timeoutSeconds"];

    public required AwsEndpoint Endpoint { get; init; }

    public bool RandomizePartitionKey { get; init; }

    public bool AppendNewline { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);

    /// <summary>Reads and checks <paramref name="destination"/> for <paramref name="service"/>; null when anything is wrong.</summary>
    public static AwsSettings? Parse(FunnelDestination destination, AwsService service, string path, List<string> errors)
    {
        var before = errors.Count;
        string[] own = service == AwsService.Kinesis ? ["randomizePartitionKey"] : service == AwsService.Firehose ? ["appendNewline"] : [];
        foreach (var (key, _) in destination.Settings)
        {
            if (!s_common.Contains(key) && !own.Contains(key))
            {
                errors.Add($"{path}.{key}: unknown key for aws/{service.Name}; known: {string.Join(", ", s_common.Concat(own))}");
            }
        }

        var binary = ReadBool(destination.Settings, "sendPayloadsAsBinary", path, errors);
        if (binary && service != AwsService.Iot)
        {
            errors.Add($"{path}.sendPayloadsAsBinary: only aws/aws-iot sends the device's raw bytes; aws/{service.Name} takes the envelope or its payloads");
        }

        var random = ReadBool(destination.Settings, "randomizePartitionKey", path, errors);
        var newline = ReadBool(destination.Settings, "appendNewline", path, errors);
        var timeout = DefaultTimeoutSeconds;
        if (destination.Settings["timeoutSeconds"] is { } t
            && (t is not JsonValue tv || tv.GetValueKind() != JsonValueKind.Number || !tv.TryGetValue(out timeout) || timeout is <= 0 or > MaxTimeoutSeconds))
        {
            errors.Add($"{path}.timeoutSeconds: a number of seconds above 0, at most {MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)} (default {DefaultTimeoutSeconds.ToString(CultureInfo.InvariantCulture)})");
        }

        var endpoint = AwsEndpoint.Parse(destination.ResourceUrl, service, $"{path}.resourceUrl", errors);
        if (endpoint is not null && NameError(service, endpoint.Name.Replace(AwsEndpoint.Placeholder, SampleImsi, StringComparison.Ordinal)) is { } problem)
        {
            errors.Add($"{path}.resourceUrl: {problem}");
        }

        if (endpoint is null || errors.Count != before)
        {
            return null;
        }

        return new AwsSettings
        {
            Endpoint = endpoint,
            RandomizePartitionKey = random,
            AppendNewline = newline,
            Timeout = TimeSpan.FromSeconds(timeout),
        };
    }

    /// <summary>
    /// Why <paramref name="name"/> is not a legal name for <paramref name="service"/>, or null: a Kinesis stream
    /// (1–128) or Firehose delivery stream (1–64) of <c>A-Z a-z 0-9 _ . -</c>; an AWS IoT topic of at most 256 UTF-8
    /// bytes without the wildcards <c>+</c> and <c>#</c>, which a publish cannot name.
    /// </summary>
    public static string? NameError(AwsService service, string name)
    {
        if (service == AwsService.Iot)
        {
            if (name.Length == 0)
            {
                return "the topic is empty";
            }

            if (Encoding.UTF8.GetByteCount(name) > 256)
            {
                return "the topic is longer than AWS IoT's 256 bytes";
            }

            return name.AsSpan().IndexOfAny('+', '#') >= 0 || name.Contains('\0', StringComparison.Ordinal)
                ? "the topic may not hold the wildcards + and # (a publish names one topic); #{imsi} is the only placeholder"
                : null;
        }

        var max = service == AwsService.Firehose ? 64 : 128;
        var what = service == AwsService.Firehose ? "delivery stream" : "stream";
        if (name.Length == 0 || name.Length > max)
        {
            return $"the {what} name must be 1-{max.ToString(CultureInfo.InvariantCulture)} characters";
        }

        return name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')
            ? null
            : $"the {what} name may hold only letters, digits, '_', '.', '-' and #{{imsi}}";
    }

    private static bool ReadBool(JsonObject settings, string key, string path, List<string> errors)
    {
        var node = settings[key];
        if (node is null)
        {
            return false;
        }

        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return node.GetValue<bool>();
        }

        errors.Add($"{path}.{key}: must be true or false");
        return false;
    }
}
