using System.Collections.Concurrent;

namespace Gateway.Harvest;

/// <summary>
/// Distinct times for entries stamped with their receive time. A resource's entries are keyed by the millisecond,
/// and writing at a taken millisecond replaces the entry (SORACOM's rule, right for a timestamp the device chose), so
/// two messages from one device within the same millisecond kept only the second. Each is now given the next free
/// millisecond after the last one this gateway stamped for the resource: the order is kept, nothing is replaced.
/// </summary>
internal sealed class ReceiveTimes
{
    // One entry per device that sent lately; cleared whole past the bound (a collision right after is the old rule).
    private const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<(string Type, string Id), long> _last = new();

    /// <summary>The time to store an entry received at <paramref name="receivedMs"/> under.</summary>
    public long Next(string resourceType, string resourceId, long receivedMs)
    {
        if (_last.Count > MaxTracked)
        {
            _last.Clear();
        }

        return _last.AddOrUpdate(
            (resourceType, resourceId),
            static (_, now) => now,
            static (_, last, now) => Math.Max(now, last + 1),
            receivedMs);
    }
}
