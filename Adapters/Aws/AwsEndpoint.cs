using System.Globalization;

namespace Gateway.Adapters.Aws;

/// <summary>
/// An AWS destination's <c>resourceUrl</c>: where requests go, the signing region, and the name after the host (a
/// stream, a delivery stream, or an AWS IoT topic, any of which may hold <c>#{imsi}</c>). SORACOM's own form has no
/// scheme for AWS IoT (<c>xxxxx-ats.iot.ap-northeast-1.amazonaws.com/myTopic/#{imsi}</c>), so https is assumed. A host
/// that is not AWS's (kinesalite, LocalStack) is the endpoint itself, over http or https, and the region comes from
/// the credential set or is <c>us-east-1</c>. Written by hand because <see cref="Uri"/> would escape the placeholder.
/// </summary>
internal sealed class AwsEndpoint
{
    public const string Placeholder = "#{imsi}";

    /// <summary>The region a local peer is signed for when the credential set names none.</summary>
    public const string DefaultRegion = "us-east-1";

    private static readonly string[] s_awsDomains = [".amazonaws.com", ".amazonaws.com.cn"];

    /// <summary><c>scheme://host[:port]</c>, where requests go.</summary>
    public required Uri BaseUri { get; init; }

    /// <summary><c>host</c> or <c>host:port</c>: what reasons name (never the path, which a device's IMSI may be part of).</summary>
    public required string Label { get; init; }

    /// <summary>The region named by an AWS host; null for a local peer.</summary>
    public string? Region { get; init; }

    /// <summary>The name after the host as configured (may hold <c>#{imsi}</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The configured resourceUrl up to the name: what every message's target starts with.</summary>
    public required string TargetPrefix { get; init; }

    public bool IsLocal => Region is null;

    /// <summary>
    /// The name a message goes to: the configured one, or the one in its target (the resourceUrl with <c>#{imsi}</c>
    /// replaced). Null, with a reason, when the target is not on this endpoint or the name still holds the placeholder.
    /// </summary>
    public string? NameFor(string? target, out string? problem)
    {
        problem = null;
        if (target is null)
        {
            if (!Name.Contains(Placeholder, StringComparison.Ordinal))
            {
                return Name;
            }

            problem = "the resourceUrl holds #{imsi} but the message names no target";
            return null;
        }

        if (!target.StartsWith(TargetPrefix, StringComparison.Ordinal))
        {
            problem = "the message's target is not on this destination's endpoint";
            return null;
        }

        return target[TargetPrefix.Length..];
    }

    /// <summary>
    /// Parses <paramref name="resourceUrl"/> for <paramref name="service"/>, adding errors that start with
    /// <paramref name="path"/>; null when invalid. The name itself is checked by the caller.
    /// </summary>
    public static AwsEndpoint? Parse(string resourceUrl, AwsService service, string path, List<string> errors)
    {
        var text = resourceUrl;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "https" : text[..schemeEnd];
        if (scheme is not ("https" or "http"))
        {
            errors.Add($"{path}: must be https:// (http:// for a local peer), e.g. {service.Example}");
            return null;
        }

        var authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var slash = text.IndexOf('/', authorityStart);
        if (slash < 0 || slash == text.Length - 1)
        {
            errors.Add($"{path}: names nothing after the host; expected {service.Example}");
            return null;
        }

        var authority = text[authorityStart..slash];
        var name = text[(slash + 1)..];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            // A key in the URL would be shown wherever the destination is; keys go in a credential set.
            errors.Add($"{path}: user information does not belong in the URL (not echoed here); use an {AwsCredentialTypes.Keys} set");
            return null;
        }

        if (authority.Contains(Placeholder, StringComparison.Ordinal) || authority.Contains('?', StringComparison.Ordinal))
        {
            errors.Add($"{path}: the host is fixed; #{{imsi}} is allowed only after it");
            return null;
        }

        if (!Uri.TryCreate($"{scheme}://{authority}", UriKind.Absolute, out var baseUri) || baseUri.Host.Length == 0
            || baseUri.AbsolutePath != "/" || !string.IsNullOrEmpty(baseUri.Query))
        {
            errors.Add($"{path}: '{authority}' is not a host name or address with an optional port");
            return null;
        }

        var host = baseUri.Host.ToLowerInvariant();
        string? region = null;
        var domain = s_awsDomains.FirstOrDefault(d => host.EndsWith(d, StringComparison.Ordinal));
        if (domain is not null)
        {
            region = RegionOf(host[..^domain.Length], service);
            if (region is null)
            {
                errors.Add($"{path}: '{host}' is not an endpoint of aws/{service.Name}; expected {service.Example}");
                return null;
            }

            if (scheme != "https")
            {
                errors.Add($"{path}: AWS endpoints take https only");
                return null;
            }
        }

        return new AwsEndpoint
        {
            BaseUri = baseUri,
            Label = baseUri.IsDefaultPort ? baseUri.Host : $"{baseUri.Host}:{baseUri.Port.ToString(CultureInfo.InvariantCulture)}",
            Region = region,
            Name = name,
            TargetPrefix = resourceUrl[..(resourceUrl.Length - name.Length)],
        };
    }

    /// <summary>
    /// The region in an AWS host without its domain: <c>kinesis.&lt;region&gt;</c> (also <c>kinesis-fips.&lt;region&gt;</c>),
    /// <c>firehose.&lt;region&gt;</c>, <c>&lt;id&gt;[-ats].iot.&lt;region&gt;</c>; null when the host is not the service's.
    /// </summary>
    private static string? RegionOf(string labels, AwsService service)
    {
        var parts = labels.Split('.');
        var region = service == AwsService.Iot
            ? parts.Length == 3 && parts[1] == "iot" && parts[0].Length > 0 ? parts[2] : null
            : parts.Length == 2 && (parts[0] == service.HostLabel || parts[0] == service.HostLabel + "-fips") ? parts[1] : null;
        return region is not null && IsRegion(region) ? region : null;
    }

    /// <summary>An AWS region name: lower-case letters, digits and hyphens, e.g. <c>ap-northeast-1</c>, <c>us-gov-west-1</c>.</summary>
    public static bool IsRegion(string region) =>
        region.Length is >= 4 and <= 32 && region.Contains('-', StringComparison.Ordinal)
        && region.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
