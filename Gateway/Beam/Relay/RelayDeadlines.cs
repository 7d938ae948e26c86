namespace Gateway.Beam.Relay;

/// <summary>
/// One timer for every relay connection's deadline, the way Kestrel's heartbeat serves its timeouts: a connection
/// arms a deadline by writing a number, and a tick every <see cref="Resolution"/> ends what has passed its deadline.
/// Per-request timers and cancellation registrations on every socket call cost more than the relaying around them;
/// for an idle MQTT relay connection, a timer with its source and registrations was ≈ 0.4 KiB of its memory.
/// </summary>
internal sealed class RelayDeadlines : IDisposable
{
    /// <summary>How late past its deadline a connection may be ended.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(200);

    /// <summary>How long after the host began stopping every connection is ended: time for bytes under way to arrive.</summary>
    public static readonly TimeSpan EndAllAfter = TimeSpan.FromSeconds(1);

    private readonly HashSet<IDeadline> _connections = [];
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private readonly CancellationTokenRegistration _stopping;
    private IDeadline[] _snapshot = [];
    private int _ticking;
    private long _endAllAt = long.MaxValue;

    /// <param name="endAllOn">
    /// The host's stopping signal, for connections that sit idle for hours (MQTT): <see cref="EndAllAfter"/> after it,
    /// every deadline counts as passed, so the host's shutdown does not wait its whole grace for devices that never
    /// leave by themselves. Kestrel has stopped accepting by then.
    /// </param>
    public RelayDeadlines(CancellationToken endAllOn = default)
    {
        _timer = new Timer(static s => ((RelayDeadlines)s!).Tick(), this, Resolution, Resolution);
        _stopping = endAllOn.Register(static s =>
        {
            var deadlines = (RelayDeadlines)s!;
            Volatile.Write(ref deadlines._endAllAt, Environment.TickCount64 + (long)EndAllAfter.TotalMilliseconds);
        }, this);
    }

    public void Add(IDeadline connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }
    }

    public void Remove(IDeadline connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _timer.Dispose();
    }

    private void Tick()
    {
        // A tick that outlasts the period is not overlapped by the next one (they share the snapshot).
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            ExpireAll();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void ExpireAll()
    {
        int count;
        lock (_lock)
        {
            count = _connections.Count;
            if (_snapshot.Length < count)
            {
                _snapshot = new IDeadline[Math.Max(count, _snapshot.Length * 2)];
            }

            _connections.CopyTo(_snapshot);
        }

        // Outside the lock: ending a connection disposes sockets and must not hold up connections coming and going.
        var now = Environment.TickCount64;
        if (now >= Volatile.Read(ref _endAllAt))
        {
            now = long.MaxValue;
        }

        for (var i = 0; i < count; i++)
        {
            _snapshot[i].Expire(now);
            _snapshot[i] = null!;
        }
    }
}
