using System.Globalization;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// A Kafka resource URL, <c>kafka://host:9092,host2:9092/topic</c> (<c>kafkas://</c> for TLS): the bootstrap servers
/// and one topic, which may hold <c>#{imsi}</c>. Written by hand because <see cref="Uri"/> does not take a host list.
/// </summary>
internal sealed class KafkaResourceUrl
{
    private const string Imsi = "#{imsi}";

    /// <summary>A 15-digit IMSI stands in for <c>#{imsi}</c> when the topic's length and characters are checked.</summary>
    private const string SampleImsi = "001010000000000";

    /// <summary>Kafka's limit on a topic name.</summary>
    public const int MaxTopicLength = 249;

    public required string BootstrapServers { get; init; }

    public required string TargetPrefix { get; init; }

    public required string Topic { get; init; }

    public bool Tls { get; init; }

    /// <summary>Parses <paramref name="url"/>, adding errors that start with <paramref name="path"/>; null when invalid.</summary>
    public static KafkaResourceUrl? Parse(string url, string path, List<string> errors)
    {
        var tls = url.StartsWith("kafkas://", StringComparison.Ordinal);
        if (!tls && !url.StartsWith("kafka://", StringComparison.Ordinal))
        {
            errors.Add($"{path}: must start with kafka:// (or kafkas:// for TLS), e.g. kafka://host:9092,host2:9092/topic");
            return null;
        }
        var rest = url.AsSpan(tls ? 9 : 8);
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            errors.Add($"{path}: names no topic; expected kafka://host:9092,host2:9092/topic");
            return null;
        }
        var servers = rest[..slash].ToString();
        var topic = rest[(slash + 1)..].ToString();
        var before = errors.Count;
        CheckServers(servers, path, errors);
        var topicError = TopicError(topic.Replace(Imsi, SampleImsi, StringComparison.Ordinal));
        if (topicError is not null)
            errors.Add($"{path}: topic '{topic}' {topicError}");
        if (errors.Count != before)
            return null;
        return new KafkaResourceUrl
        {
            BootstrapServers = servers,
            TargetPrefix = url[..(url.Length - topic.Length)],
            Topic = topic,
            Tls = tls,
        };
    }

    /// <summary>Why <paramref name="topic"/> is not a legal Kafka topic name, or null when it is.</summary>
    public static string? TopicError(ReadOnlySpan<char> topic)
    {
        if (topic.IsEmpty)
            return "is empty";
        if (topic.Length > MaxTopicLength)
            return $"is longer than {MaxTopicLength} characters";
        if (topic is "." or "..")
            return "cannot be '.' or '..'";
        foreach (var c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return "may hold only letters, digits, '.', '_', '-' and #{imsi}";
        }
        return null;
    }

    private static void CheckServers(string servers, string path, List<string> errors)
    {
        if (servers.Length == 0)
        {
            errors.Add($"{path}: names no bootstrap server; expected kafka://host:9092,host2:9092/topic");
            return;
        }
        if (servers.Contains(Imsi, StringComparison.Ordinal))
        {
            errors.Add($"{path}: #{{imsi}} is allowed in the topic only, not in the servers");
            return;
        }
        foreach (var server in servers.Split(','))
        {
            if (server.Contains('@', StringComparison.Ordinal))
                errors.Add($"{path}: user information does not belong in the URL (not echoed here); use a kafka-credentials set");
            else if (!IsHostPort(server))
                errors.Add($"{path}: '{server}' is not host:port (a host name, IPv4 address or [IPv6] address, and a port 1-65535)");
        }
    }

    private static bool IsHostPort(string server)
    {
        var colon = server.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            return false;
        var host = server[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            return System.Net.IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
