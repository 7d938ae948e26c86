using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Endorse;

/// <summary>
/// A group's <c>SoracomEndorse</c> namespace: <c>enabled</c>, <c>parametersToEndorse</c> (which claims the token
/// carries), <c>tokenTimeoutSeconds</c>, <c>allowOrigin</c>, <c>authorizedRedirectUrls</c>. Read per request, like the
/// metadata service's settings, so that a change applies to the next token.
/// </summary>
internal sealed record EndorseSettings(
    bool Enabled,
    bool Imsi,
    bool Imei,
    bool Msisdn,
    bool SimId,
    bool RequestParameters,
    int TokenTimeoutSeconds,
    string? AllowOrigin,
    IReadOnlyList<string> AuthorizedRedirectUrls)
{
    /// <summary>SORACOM does not document a default lifetime; ten minutes is the middle of the observed ones (3, 10 and 100 minutes).</summary>
    public const int DefaultTokenTimeoutSeconds = 600;

    /// <summary>A day: a longer-lived token is a bearer credential nobody can revoke.</summary>
    public const int MaxTokenTimeoutSeconds = 86_400;

    public static EndorseSettings For(Group? group)
    {
        var ns = group?.Configuration["SoracomEndorse"] as JsonObject;
        var parameters = ns?["parametersToEndorse"] as JsonObject;
        var timeout = ns?["tokenTimeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var seconds) && seconds > 0
            ? Math.Min(seconds, MaxTokenTimeoutSeconds)
            : DefaultTokenTimeoutSeconds;
        var origin = Text(ns?["allowOrigin"]);
        var redirects = ns?["authorizedRedirectUrls"] is JsonArray urls
            ? urls.Select(static u => Text(u)).OfType<string>().Where(static u => u.Length > 0).ToArray()
            : [];
        return new EndorseSettings(
            Bool(ns?["enabled"]) ?? false,
            // Without parametersToEndorse the token carries the IMSI, the one claim every verifier reads.
            Bool(parameters?["imsi"]) ?? true,
            Bool(parameters?["imei"]) ?? false,
            Bool(parameters?["msisdn"]) ?? false,
            Bool(parameters?["simId"]) ?? false,
            Bool(parameters?["requestParameters"]) ?? false,
            timeout,
            string.IsNullOrEmpty(origin) ? null : origin,
            redirects);
    }

    /// <summary>
    /// Whether a <c>redirect_url</c> is allowed: an absolute http(s) URL equal to a listed one, or below it (the listed
    /// URL followed by <c>/</c>, <c>?</c> or <c>#</c>). Never a bare prefix: <c>https://example.com</c> listed must not
    /// let <c>https://example.com.evil.test</c> through.
    /// </summary>
    public bool AllowsRedirect(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }

        foreach (var listed in AuthorizedRedirectUrls)
        {
            if (url == listed)
            {
                return true;
            }

            var prefix = listed.TrimEnd('/');
            if (url.StartsWith(prefix, StringComparison.Ordinal) && url.Length > prefix.Length && url[prefix.Length] is '/' or '?' or '#')
            {
                return true;
            }
        }

        return false;
    }

    private static bool? Bool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
