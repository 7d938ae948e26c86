namespace Gateway.Radius;

/// <summary>
/// Remembers requests in flight and answered ones for a window, so that a NAS's retransmission is answered again
/// without recording the request twice. Bounded: past <see cref="Capacity"/> the oldest answered entries go first.
/// Thread-safe; the lock is held only for dictionary work, never across I/O.
/// </summary>
internal sealed class RadiusDuplicateCache(TimeProvider time, TimeSpan window, int capacity)
{
    private readonly Dictionary<RadiusRequestKey, Entry> _entries = [];
    private readonly Queue<(RadiusRequestKey Key, DateTimeOffset Expires)> _expiry = new();
    private readonly Lock _lock = new();

    public int Capacity => capacity;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Claims a request. True when it is new (the caller now owns it and must <see cref="Complete"/> or <see cref="Abandon"/> it).
    /// False for a retransmission: <paramref name="response"/> is the answer to send again, or null while the first copy is still being handled.
    /// </summary>
    public bool TryBegin(RadiusRequestKey key, out byte[]? response)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            Purge(now);
            if (_entries.TryGetValue(key, out var entry))
            {
                response = entry.Response;
                return false;
            }

            // Pending entries carry no expiry: they leave through Complete or Abandon, and the listener's queue bounds them.
            _entries[key] = new Entry(null, DateTimeOffset.MaxValue);
            response = null;
            return true;
        }
    }

    /// <summary>Records the answer; retransmissions within the window get it again.</summary>
    public void Complete(RadiusRequestKey key, byte[] response)
    {
        lock (_lock)
        {
            var expires = time.GetUtcNow() + window;
            _entries[key] = new Entry(response, expires);
            _expiry.Enqueue((key, expires));
        }
    }

    /// <summary>Forgets a request that was not recorded, so that the NAS's retransmission is tried afresh.</summary>
    public void Abandon(RadiusRequestKey key)
    {
        lock (_lock)
        {
            _entries.Remove(key);
        }
    }

    private void Purge(DateTimeOffset now)
    {
        while (_expiry.TryPeek(out var head) && (head.Expires <= now || _entries.Count >= capacity))
        {
            _expiry.Dequeue();

            // The queue may hold stale rows for keys answered again or abandoned since: only the matching one removes.
            if (_entries.TryGetValue(head.Key, out var entry) && entry.Expires == head.Expires)
            {
                _entries.Remove(head.Key);
            }
        }
    }

    private readonly record struct Entry(byte[]? Response, DateTimeOffset Expires);
}
