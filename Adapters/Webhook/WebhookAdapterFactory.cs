using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Adapters.Webhook;

/// <summary>
/// The gateway's own Funnel destination <c>webhook</c>/<c>webhook</c>: an HTTP POST of the envelope (or, with
/// <c>payloadsOnly</c>, of the payloads alone) as <c>application/json</c> to <c>resourceUrl</c>. With a credential set
/// of type <c>psk</c> the request carries SORACOM's signature headers (<c>x-soracom-imsi</c>, …,
/// <c>x-soracom-signature</c>), so a backend that verifies Beam's signature verifies these too.
/// </summary>
/// <remarks>
/// Destination keys: <c>resourceUrl</c> (http:// or https://, no user-info; may hold <c>#{imsi}</c>),
/// <c>payloadsOnly</c>, <c>timeoutSeconds</c> (per request, default 10, at most 300), <c>maxBodyBytes</c> (largest
/// body sent, default 1 MiB), <c>messageSignatureKeyId</c> (adds an RFC 9421 <c>hmac-sha256</c> signature keyed by the
/// psk credential set's <c>key</c>, sent with this <c>keyid</c>). Other keys are refused, so typos surface at load.
/// </remarks>
public sealed class WebhookAdapterFactory : IFunnelAdapterFactory
{
    internal const double DefaultTimeoutSeconds = 10;
    internal const int DefaultMaxBodyBytes = 1024 * 1024;
    internal const int MaxMaxBodyBytes = 16 * 1024 * 1024;

    private static readonly string[] s_keys = ["provider", "service", "resourceUrl", "payloadsOnly", "timeoutSeconds", "maxBodyBytes", "messageSignatureKeyId"];

    /// <inheritdoc/>
    public string Provider => "webhook";

    /// <inheritdoc/>
    public string Service => "webhook";

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes { get; } = ["psk"];

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var (name, _) in destination.Settings)
        {
            if (!s_keys.Contains(name))
            {
                errors.Add($"{path}.{name}: unknown key for webhook/webhook; known: {string.Join(", ", s_keys)}");
            }
        }

        // The placeholder becomes digits, so the URL is checked with one in its place.
        var url = destination.ResourceUrl.Replace("#{imsi}", "0", StringComparison.Ordinal);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            errors.Add($"{path}.resourceUrl: not an http:// or https:// URL");
        }
        else if (uri.UserInfo.Length > 0)
        {
            // A password in the URL would be echoed wherever the destination is shown; credentials go in a credential set.
            errors.Add($"{path}.resourceUrl: may not contain user information (user:password@); use a credential set");
        }

        if (destination.Settings["timeoutSeconds"] is { } t && !TryTimeout(t, out _))
        {
            errors.Add($"{path}.timeoutSeconds: a number of seconds above 0, at most 300");
        }

        if (destination.Settings["maxBodyBytes"] is { } m && !TryMaxBody(m, out _))
        {
            errors.Add($"{path}.maxBodyBytes: a whole number of bytes from 1 to {MaxMaxBodyBytes.ToString(CultureInfo.InvariantCulture)}");
        }

        if (destination.Settings["messageSignatureKeyId"] is { } k && (k is not JsonValue kv || !kv.TryGetValue<string>(out var keyId) || keyId.Length == 0))
        {
            errors.Add($"{path}.messageSignatureKeyId: a non-empty string");
        }
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        var timeout = destination.Settings["timeoutSeconds"] is { } t && TryTimeout(t, out var seconds) ? seconds : DefaultTimeoutSeconds;
        var maxBody = destination.Settings["maxBodyBytes"] is { } m && TryMaxBody(m, out var bytes) ? bytes : DefaultMaxBodyBytes;
        var keyId = destination.Settings["messageSignatureKeyId"] is JsonValue kv && kv.TryGetValue<string>(out var id) && id.Length > 0 ? id : null;
        return new WebhookAdapter(destination, credentials?.Type == "psk" ? credentials.Field("key") : null, keyId, TimeSpan.FromSeconds(timeout), maxBody, context);
    }

    private static bool TryTimeout(JsonNode node, out double seconds) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out seconds) && seconds is > 0 and <= 300
        || Fail(out seconds);

    private static bool TryMaxBody(JsonNode node, out int bytes) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out bytes) && bytes is > 0 and <= MaxMaxBodyBytes
        || Fail(out bytes);

    private static bool Fail<T>(out T value)
        where T : struct
    {
        value = default;
        return false;
    }
}
