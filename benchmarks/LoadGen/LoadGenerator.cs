using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.LoadGen;

/// <summary>
/// Open-loop load: request i is due at <c>start + i / rate</c>, whatever happened to the ones before it. Each of the
/// keep-alive connections carries one request at a time. A request due while every connection is busy waits in a
/// backlog (the next connection to finish takes it at once), and its latency still counts from the time it was due,
/// so a stalled server shows up as latency rather than as fewer requests (the "coordinated omission" wrk2 corrects).
/// One thread sends on schedule; responses are read by the runtime's socket thread, which also sends backlogged
/// requests. Nothing is allocated per request.
/// </summary>
internal sealed class LoadGenerator
{
    private sealed class Connection(int id, int bufferSize)
    {
        public int Id { get; } = id;
        public Socket? Socket { get; set; }
        public SocketAsyncEventArgs Args { get; } = new();
        public byte[] Buffer { get; } = new byte[bufferSize];
        public ResponseParser Parser { get; } = new();
        public long Index { get; set; } = -1;   // the request in flight
        public long SentAt { get; set; }
    }

    private readonly IPEndPoint _endPoint;
    private readonly byte[] _request;
    private readonly Connection[] _connections;
    private readonly Connection[] _free;
    private readonly Lock _gate = new();
    private readonly long _total;
    private readonly long _warmupCount;
    private readonly double _ticksPerRequest;
    private readonly long _spinTicks;
    private readonly double _drainSeconds;
    private int _freeCount;
    private int _dead;
    private long _issued;
    private bool _stopIssuing;
    private volatile bool _closing;
    private long _start;

    private long _sent;
    private long _ok;
    private long _non2xx;
    private long _ioErrors;
    private long _reconnects;
    private long _lastCompletion;

    public LatencyHistogram Latency { get; } = new();
    public LatencyHistogram Service { get; } = new();

    public LoadGenerator(IPEndPoint endPoint, byte[] request, double rate, double seconds, double warmupSeconds,
        int connections, double spinMicros, double drainSeconds)
    {
        _endPoint = endPoint;
        _request = request;
        _ticksPerRequest = Stopwatch.Frequency / rate;
        _warmupCount = (long)Math.Round(warmupSeconds * rate);
        _total = _warmupCount + (long)Math.Round(seconds * rate);
        _spinTicks = (long)(spinMicros * Stopwatch.Frequency / 1e6);
        _drainSeconds = drainSeconds;
        _connections = new Connection[connections];
        _free = new Connection[connections];
        for (var i = 0; i < connections; i++)
        {
            var c = new Connection(i, 16 * 1024);
            c.Args.SetBuffer(c.Buffer, 0, c.Buffer.Length);
            c.Args.UserToken = c;
            c.Args.Completed += OnReceiveCompleted;
            _connections[i] = c;
        }
    }

    public long MeasuredTotal => _total - _warmupCount;
    public long Sent => Interlocked.Read(ref _sent);
    public long Ok => Interlocked.Read(ref _ok);
    public long Non2xx => Interlocked.Read(ref _non2xx);
    public long IoErrors => Interlocked.Read(ref _ioErrors);
    public long Reconnects => Interlocked.Read(ref _reconnects);
    public long Timeouts { get; private set; }
    public long Unsent { get; private set; }

    /// <summary>Seconds from the first measured request's intended time to the last measured response.</summary>
    public double MeasuredSeconds { get; private set; }

    public void Connect()
    {
        foreach (var c in _connections)
        {
            c.Socket = Open();
            _free[_freeCount++] = c;
        }
    }

    private Socket Open()
    {
        var s = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        s.Connect(_endPoint);
        return s;
    }

    private long Due(long now)
    {
        if (now < _start)
        {
            return 0;
        }

        return Math.Min(_total, (long)((now - _start) / _ticksPerRequest) + 1);
    }

    private long IntendedTime(long index) => _start + (long)(index * _ticksPerRequest);

    public void Run()
    {
        var sender = new Thread(SendLoop) { Name = "loadgen sender", IsBackground = true, Priority = ThreadPriority.AboveNormal };
        _start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        sender.Start();
        sender.Join();

        // Drain: backlogged requests are still sent as connections free up, until every connection is idle or
        // the drain time is over. What is still in flight then is a timeout; what was never sent, unsent.
        var deadline = IntendedTime(_total) + (long)(_drainSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            lock (_gate)
            {
                if (_issued == _total && _freeCount + _dead == _connections.Length)
                {
                    break;
                }
            }

            Thread.Sleep(1);
        }

        lock (_gate)
        {
            _stopIssuing = true;
            _closing = true;
            Unsent = _total - Math.Max(_issued, _warmupCount);
            var idle = new HashSet<int>();
            for (var i = 0; i < _freeCount; i++)
            {
                idle.Add(_free[i].Id);
            }

            long timeouts = 0;
            foreach (var c in _connections)
            {
                if (!idle.Contains(c.Id) && c.Index >= _warmupCount && c.Socket is not null)
                {
                    timeouts++;
                }
            }

            Timeouts = timeouts;
        }

        foreach (var c in _connections)
        {
            c.Socket?.Dispose();
        }

        var first = IntendedTime(_warmupCount);
        MeasuredSeconds = Math.Max(Interlocked.Read(ref _lastCompletion) - first, 1) / (double)Stopwatch.Frequency;
        Latency.Seal();
        Service.Seal();
    }

    private void SendLoop()
    {
        PreciseSleep.TightenTimerSlack();
        var batch = new Connection[_connections.Length];
        while (true)
        {
            var due = Due(Stopwatch.GetTimestamp());
            var n = 0;
            long issued;
            lock (_gate)
            {
                while (_issued < due && _freeCount > 0)
                {
                    var c = _free[--_freeCount];
                    c.Index = _issued++;
                    batch[n++] = c;
                }

                issued = _issued;
            }

            for (var i = 0; i < n; i++)
            {
                if (SendAssigned(batch[i]))
                {
                    ReceiveLoop(batch[i]);
                }
            }

            if (issued >= _total || due >= _total)
            {
                return; // all sent, or the rest backlogged: the connections send them as they finish
            }

            // Until the next request is due (a backlog is served by the connections as they finish).
            PreciseSleep.Until(IntendedTime(Math.Min(due, _total - 1)), _spinTicks);
        }
    }

    /// <summary>Sends the request assigned to <paramref name="c"/>; on failure takes the next due one, if any.</summary>
    private bool SendAssigned(Connection c)
    {
        while (true)
        {
            try
            {
                c.Parser.Reset();
                c.SentAt = Stopwatch.GetTimestamp();
                c.Socket!.Send(_request);
                if (c.Index >= _warmupCount)
                {
                    Interlocked.Increment(ref _sent);
                }

                return true;
            }
            catch (SocketException)
            {
                if (_closing)
                {
                    return false;
                }

                CountIoError(c);
                if (!Reconnect(c) || !AssignNext(c))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Gives <paramref name="c"/> the next due request, or returns it to the idle pool (false).</summary>
    private bool AssignNext(Connection c)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (!_stopIssuing && _issued < Due(now))
            {
                c.Index = _issued++;
                return true;
            }

            c.Index = -1;
            _free[_freeCount++] = c;
            return false;
        }
    }

    private bool Reconnect(Connection c)
    {
        c.Socket?.Dispose();
        c.Socket = null;
        try
        {
            c.Socket = Open();
            Interlocked.Increment(ref _reconnects);
            return true;
        }
        catch (SocketException)
        {
            lock (_gate)
            {
                _dead++;
            }

            return false;
        }
    }

    private void CountIoError(Connection c)
    {
        if (c.Index >= _warmupCount)
        {
            Interlocked.Increment(ref _ioErrors);
        }
    }

    private void OnReceiveCompleted(object? sender, SocketAsyncEventArgs e)
    {
        var c = (Connection)e.UserToken!;
        if (Process(c))
        {
            ReceiveLoop(c);
        }
    }

    private void ReceiveLoop(Connection c)
    {
        while (true)
        {
            bool pending;
            try
            {
                pending = c.Socket!.ReceiveAsync(c.Args);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (!Fail(c))
                {
                    return;
                }

                continue;
            }

            if (pending || !Process(c))
            {
                return;
            }
        }
    }

    /// <summary>Handles received bytes; true when a receive should be posted again.</summary>
    private bool Process(Connection c)
    {
        var e = c.Args;
        if (_closing)
        {
            return false;
        }

        if (e.SocketError != SocketError.Success || e.BytesTransferred == 0
            || !c.Parser.Feed(c.Buffer.AsSpan(0, e.BytesTransferred)))
        {
            return Fail(c);
        }

        if (!c.Parser.Complete)
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        if (c.Index >= _warmupCount)
        {
            Latency.Record((now - IntendedTime(c.Index)) * 1_000_000 / Stopwatch.Frequency);
            Service.Record((now - c.SentAt) * 1_000_000 / Stopwatch.Frequency);
            Interlocked.Increment(ref c.Parser.StatusCode is >= 200 and < 300 ? ref _ok : ref _non2xx);
            InterlockedMax(ref _lastCompletion, now);
        }

        if (c.Parser.CloseAfter && !Reconnect(c))
        {
            return false;
        }

        return AssignNext(c) && SendAssigned(c);
    }

    /// <summary>An I/O or protocol failure: counts it, reconnects and carries on with the next due request.</summary>
    private bool Fail(Connection c)
    {
        if (_closing)
        {
            return false;
        }

        CountIoError(c);
        return Reconnect(c) && AssignNext(c) && SendAssigned(c);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
