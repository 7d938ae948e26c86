namespace Gateway.Signing.Soracom;

/// <summary>
/// Remembers accepted signatures for as long as their timestamps stay inside the skew window, in bounded memory.
/// When full, the oldest entry is dropped and its timestamp raises a floor below which nothing is accepted, so
/// the bound costs availability under a flood, never safety.
/// </summary>
internal sealed class ReplayCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Digest, long> _seen;
    private readonly Queue<(Digest Digest, long TimestampMs)> _order;
    private readonly int _capacity;
    private long _floorMs = long.MinValue;

    public ReplayCache(int capacity)
    {
        _capacity = capacity;
        _seen = new Dictionary<Digest, long>(Math.Min(capacity, 1024));
        _order = new Queue<(Digest, long)>(Math.Min(capacity, 1024));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Records a signature; false when it was seen already or falls at or under the floor.</summary>
    /// <param name="digest">The signature bytes.</param>
    /// <param name="timestampMs">The signed timestamp.</param>
    /// <param name="expireBeforeMs">Entries with a timestamp before this are outside the window and can go.</param>
    /// <param name="underFloor">Set when refused because the cache overflowed past this timestamp.</param>
    public bool TryAdd(Digest digest, long timestampMs, long expireBeforeMs, out bool underFloor)
    {
        lock (_lock)
        {
            while (_order.Count > 0 && _order.Peek().TimestampMs < expireBeforeMs)
            {
                _seen.Remove(_order.Dequeue().Digest);
            }

            underFloor = timestampMs <= _floorMs;
            if (underFloor || !_seen.TryAdd(digest, timestampMs))
            {
                return false;
            }

            _order.Enqueue((digest, timestampMs));
            if (_order.Count > _capacity)
            {
                var (oldest, oldestTs) = _order.Dequeue();
                _seen.Remove(oldest);
                _floorMs = Math.Max(_floorMs, oldestTs);
            }

            return true;
        }
    }

    /// <summary>A 32-byte signature held as four words: cheap to hash and compare, no string per entry.</summary>
    internal readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest From(ReadOnlySpan<byte> bytes) => new(
            BitConverter.ToUInt64(bytes),
            BitConverter.ToUInt64(bytes[8..]),
            BitConverter.ToUInt64(bytes[16..]),
            BitConverter.ToUInt64(bytes[24..]));
    }
}
