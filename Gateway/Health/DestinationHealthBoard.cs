using System.Collections.Concurrent;

namespace Gateway.Health;

/// <summary>
/// The health of the destinations the gateway sends to outside Funnel's queues (which keep their own, see
/// <c>FunnelDispatcher.Health</c>): Beam upstreams, by <c>scheme://host:port</c> (never a path, query or user info,
/// which may carry secrets), and the Harvest store. One tracker per destination, found with one lookup per outcome.
/// Bounded: destinations come from configuration, and past <see cref="MaxDestinations"/> the rest are counted together
/// under <c>(other)</c>.
/// </summary>
internal sealed class DestinationHealthBoard(TimeProvider time)
{
    public const int MaxDestinations = 1000;
    public const string Other = "(other)";

    private readonly ConcurrentDictionary<(string Service, string Kind, string Destination), DestinationTracker> _trackers = new();

    public void Succeeded(string service, string kind, string destination, long count = 1) =>
        Tracker(service, kind, destination).Succeeded(time.GetUtcNow().ToUnixTimeMilliseconds(), count);

    public void Failed(string service, string kind, string destination, string reason, long count = 1) =>
        Tracker(service, kind, destination).Failed(time.GetUtcNow().ToUnixTimeMilliseconds(), reason, count);

    /// <summary>A URL as the board names it: scheme, host and port only.</summary>
    public static string Name(Uri destination) =>
        destination.IsAbsoluteUri ? $"{destination.Scheme}://{destination.Authority}" : Other;

    public IReadOnlyList<DestinationStatus> Statuses() => [.. _trackers.Values.Select(static t => t.Status())];

    /// <summary>
    /// The tracker of one destination, for a caller that records on a hot path: it looks the tracker up once (when its
    /// entry is compiled) and then records on it directly (times in Unix milliseconds), with no lookup and no
    /// allocation per outcome.
    /// </summary>
    public DestinationTracker Tracker(string service, string kind, string destination)
    {
        if (_trackers.TryGetValue((service, kind, destination), out var tracker))
        {
            return tracker;
        }

        if (_trackers.Count >= MaxDestinations)
        {
            destination = Other;
        }

        return _trackers.GetOrAdd((service, kind, destination), static key => new DestinationTracker(key.Service, key.Kind, key.Destination));
    }
}
