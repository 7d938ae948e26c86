namespace Gateway.Adapters.EventHubs;

/// <summary>
/// An Event Hubs resource URL as SORACOM writes it, <c>https://&lt;namespace&gt;.servicebus.windows.net/&lt;hub&gt;/messages</c>
/// (<c>/messages</c> optional), with <c>#{imsi}</c> allowed in the hub. A host outside Azure's Service Bus domains
/// (<c>amqp://127.0.0.1:5672/hub</c>, <c>http://127.0.0.1:5672/hub</c>) is a local peer reached over plain TCP with the
/// development-emulator convention.
/// </summary>
internal sealed class EventHubsResourceUrl
{
    private const string Imsi = "#{imsi}";
    private const string SampleImsi = "001010000000000";
    private const string MessagesSuffix = "/messages";

    /// <summary>Event Hubs' limit on a hub's name.</summary>
    public const int MaxHubLength = 256;

    /// <summary>The Service Bus domains of Azure's public and national clouds: hosts here are reached over TLS.</summary>
    private static readonly string[] s_cloudSuffixes =
        [".servicebus.windows.net", ".servicebus.chinacloudapi.cn", ".servicebus.usgovcloudapi.net", ".servicebus.cloudapi.de"];

    /// <summary>The namespace host (with <c>:port</c> for a local peer): what the client connects to.</summary>
    public required string Namespace { get; init; }

    /// <summary>The hub as configured (may hold <c>#{imsi}</c>).</summary>
    public required string Hub { get; init; }

    /// <summary>True for a local peer: plain TCP, the development-emulator convention.</summary>
    public bool IsLocal { get; init; }

    /// <summary>What a message's target starts with (the URL up to the hub) and ends with (<c>/messages</c> or nothing).</summary>
    public required string TargetPrefix { get; init; }

    /// <inheritdoc cref="TargetPrefix"/>
    public required string TargetSuffix { get; init; }

    /// <summary>Parses <paramref name="url"/>, adding errors that start with <paramref name="path"/>; null when invalid.</summary>
    public static EventHubsResourceUrl? Parse(string url, string path, List<string> errors)
    {
        const string Expected = "expected https://<namespace>.servicebus.windows.net/<hub>/messages (or amqp://127.0.0.1:PORT/<hub> for a local peer)";
        if (!Uri.TryCreate(url.Replace(Imsi, SampleImsi, StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http" or "amqp" or "amqps" or "sb"))
        {
            errors.Add($"{path}: is not an Event Hubs URL; {Expected}");
            return null;
        }
        if (uri.UserInfo.Length != 0)
        {
            errors.Add($"{path}: user information does not belong in the URL (not echoed here); use an azure-credentials set");
            return null;
        }
        if (uri.Query.Length != 0 || uri.Fragment.Length != 0)
        {
            errors.Add($"{path}: takes no query or fragment; {Expected}");
            return null;
        }
        var schemeAndHost = url[..(url.IndexOf("://", StringComparison.Ordinal) + 3)];
        var rest = url[schemeAndHost.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        if (authority.Contains(Imsi, StringComparison.Ordinal))
        {
            errors.Add($"{path}: #{{imsi}} is allowed in the hub name only, not in the namespace");
            return null;
        }
        var hubPath = slash < 0 ? "" : rest[(slash + 1)..];
        var suffix = hubPath.EndsWith(MessagesSuffix, StringComparison.Ordinal) ? MessagesSuffix : "";
        var hub = hubPath[..(hubPath.Length - suffix.Length)];
        var local = !IsCloudHost(uri.Host);
        var before = errors.Count;
        if (local && uri.Scheme is "https" or "amqps")
            errors.Add($"{path}: {uri.Scheme}:// to a host outside *.servicebus.windows.net is not supported; a local peer is plain TCP: amqp://{authority}/{hub}");
        var explicitPort = HasExplicitPort(authority);
        if (local && !explicitPort && uri.Scheme is "http" or "sb")
            errors.Add($"{path}: a local peer needs its port, e.g. amqp://{uri.Host}:5672/{hub}");
        if (!local && uri.Scheme is "http" or "amqp")
            errors.Add($"{path}: Azure is reached over TLS only; use https://{uri.Host}/{hub}/messages");
        if (!local && explicitPort)
            errors.Add($"{path}: takes no port for an Azure namespace");
        var hubError = HubError(hub.Replace(Imsi, SampleImsi, StringComparison.Ordinal));
        if (hubError is not null)
            errors.Add($"{path}: hub '{hub}' {hubError}; {Expected}");
        if (errors.Count != before)
            return null;
        return new EventHubsResourceUrl
        {
            // AMQP's own port is 5672; a local peer's URL names it or gets that.
            Namespace = local ? $"{uri.Host}:{(explicitPort ? uri.Port : 5672)}" : uri.Host,
            Hub = hub,
            IsLocal = local,
            TargetPrefix = url[..(url.Length - hubPath.Length)],
            TargetSuffix = suffix,
        };
    }

    /// <summary>Why <paramref name="hub"/> is not a legal Event Hub name, or null when it is.</summary>
    public static string? HubError(ReadOnlySpan<char> hub)
    {
        if (hub.IsEmpty)
            return "is empty";
        if (hub.Length > MaxHubLength)
            return $"is longer than {MaxHubLength} characters";
        if (!char.IsAsciiLetterOrDigit(hub[0]) || !char.IsAsciiLetterOrDigit(hub[^1]))
            return "must start and end with a letter or digit";
        foreach (var c in hub)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return "may hold only letters, digits, '.', '_', '-' and #{imsi}";
        }
        return null;
    }

    private static bool HasExplicitPort(string authority)
    {
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && colon > authority.LastIndexOf(']');
    }

    private static bool IsCloudHost(string host)
    {
        foreach (var suffix in s_cloudSuffixes)
        {
            if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && host.Length > suffix.Length)
                return true;
        }
        return false;
    }
}
