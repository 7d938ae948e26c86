using System.Text;

namespace Gateway.Beam.Relay;

/// <summary>
/// What the relay needs for an entry's destination, worked out once per entry: the Host line and exact target as
/// bytes, the pool's idle connections to that host and port (and its number for the event loops' pools), and the
/// destination's health tracker, looked up here once so that a request records its outcome without a lookup.
/// </summary>
internal sealed class RelayTarget(Uri destination, UpstreamPool pool, Health.DestinationHealthBoard? health = null)
{
    public Uri Destination { get; } = destination;

    /// <summary>Where the relay's outcomes for this destination are counted (the same tracker as the Kestrel path's).</summary>
    public Health.DestinationTracker? Health { get; } = health?.Tracker("Beam", "http", Gateway.Health.DestinationHealthBoard.Name(destination));

    public Stack<UpstreamConnection> Idle { get; } = pool.IdleFor(destination);

    /// <summary>The destination's host and port as a small number, for the event loops' pools.</summary>
    public int UpstreamKey { get; } = pool.KeyFor(destination);

    /// <summary><c>Host: host[:port]\r\n</c>, as HttpClient would send it (IDN form, brackets for IPv6, default port left out).</summary>
    public byte[] HostLine { get; } = Encoding.ASCII.GetBytes($"Host: {HostValue(destination)}\r\n");

    /// <summary>The destination's own path and query: the target when the device's path matched the entry exactly.</summary>
    public byte[] ExactTarget { get; } = Encoding.ASCII.GetBytes(destination.PathAndQuery);

    /// <summary>The authority as logged (scheme, host and port), like the HttpClient path's messages.</summary>
    public string Authority { get; } = destination.GetLeftPart(UriPartial.Authority);

    private static string HostValue(Uri uri)
    {
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        return uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
    }
}
