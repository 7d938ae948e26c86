namespace Gateway.Logs;

/// <summary>
/// Device-facing failures kept in memory for the admin API's <c>GET /v1/logs</c>: bounded in count (a ring; the
/// oldest entry goes first) and in age. Listed newest first. Entries are per instance, like SORACOM's, and lost on
/// restart: they help an operator see why a device's data did not arrive, they are not an audit trail.
/// </summary>
internal sealed class ErrorLog(int capacity, TimeSpan retention, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly ErrorLogEntry?[] _ring = new ErrorLogEntry?[Math.Max(capacity, 0)];
    private long _sequence;

    public void Add(string service, string resourceType, string resourceId, string message, int statusCode, string? destination, string? sourceProtocol, string? messageId)
    {
        if (_ring.Length == 0)
        {
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            var sequence = ++_sequence;
            _ring[sequence % _ring.Length] = new ErrorLogEntry(sequence, now, service, resourceType, resourceId, message, statusCode, destination, sourceProtocol, messageId);
        }
    }

    /// <summary>Up to <see cref="ErrorLogQuery.Limit"/> matching entries, newest first, and whether more match after them.</summary>
    public (List<ErrorLogEntry> Entries, bool More) List(ErrorLogQuery query)
    {
        var oldest = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)retention.TotalMilliseconds;
        var result = new List<ErrorLogEntry>(Math.Min(query.Limit, 64));
        lock (_gate)
        {
            var start = Math.Min(_sequence, (query.Before ?? long.MaxValue) - 1);
            for (var sequence = start; sequence > 0 && sequence > _sequence - _ring.Length; sequence--)
            {
                var entry = _ring[sequence % _ring.Length];
                if (entry is null || entry.TimeMs < oldest)
                {
                    break;
                }

                if (Matches(entry, query))
                {
                    if (result.Count == query.Limit)
                    {
                        return (result, true);
                    }

                    result.Add(entry);
                }
            }
        }

        return (result, false);
    }

    private static bool Matches(ErrorLogEntry e, ErrorLogQuery q) =>
        (q.ResourceType is null || q.ResourceType == e.ResourceType)
        && (q.ResourceId is null || q.ResourceId == e.ResourceId)
        && (q.Service is null || q.Service == e.Service)
        && (q.FromMs is null || e.TimeMs >= q.FromMs)
        && (q.ToMs is null || e.TimeMs <= q.ToMs);
}
