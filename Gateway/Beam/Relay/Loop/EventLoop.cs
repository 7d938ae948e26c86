using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// One thread waiting on one epoll instance, as an nginx worker does. It owns the sockets registered with it: their
/// readiness is delivered on this thread, and every continuation of the relay code awaiting them runs here too, so a
/// connection's state needs no lock. Work from other threads (a resolved host name, a timer) is posted to it. Every
/// <see cref="TickInterval"/> it runs <see cref="Ticked"/> (deadlines, the idle sweep).
/// </summary>
internal sealed unsafe partial class EventLoop : IDisposable
{
    /// <summary>How often the loop checks deadlines: as late past one as a wait may be ended on Kestrel's transport too.</summary>
    public static readonly TimeSpan TickInterval = RelayDeadlines.Resolution;

    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _posted = new();
    private readonly List<ILoopItem?> _items = [];
    private readonly List<int> _generations = [];
    private readonly Stack<int> _free = new();
    private int _wakePending;
    private volatile bool _stopping;
    private bool _closed;
    private int _disposed;
    private long _nextTick;

    public EventLoop(int id, ILogger logger)
    {
        Id = id;
        _logger = logger;
        _epoll = Native.epoll_create1(Native.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw Native.LastError();
        }

        _wake = Native.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC);
        if (_wake < 0)
        {
            throw Native.LastError();
        }

        var e = stackalloc byte[16];
        Native.WriteEvent(e, Native.EPOLLIN, WakeToken);
        if (Native.epoll_ctl(_epoll, Native.EPOLL_CTL_ADD, _wake, e) < 0)
        {
            throw Native.LastError();
        }

        _thread = new Thread(Run) { IsBackground = true, Name = $"Beam relay loop {id}" };
    }

    /// <summary>Runs every <see cref="TickInterval"/> on the loop with Environment.TickCount64.</summary>
    public event Action<long>? Ticked;

    public int Id { get; }

    /// <summary>True on the loop's own thread.</summary>
    public bool IsCurrent => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    public void Start() => _thread.Start();

    /// <summary>
    /// Watches <paramref name="fd"/> for <paramref name="events"/>, delivering them to <paramref name="item"/>;
    /// returns the token that identifies the registration. On the loop only (or before it starts).
    /// </summary>
    public ulong Register(int fd, uint events, ILoopItem item)
    {
        if (!_free.TryPop(out var slot))
        {
            slot = _items.Count;
            _items.Add(null);
            _generations.Add(0);
        }

        _items[slot] = item;
        var token = ((ulong)(uint)_generations[slot] << 32) | (uint)slot;
        var e = stackalloc byte[16];
        Native.WriteEvent(e, events, token);
        if (Native.epoll_ctl(_epoll, Native.EPOLL_CTL_ADD, fd, e) < 0)
        {
            var error = Native.LastError();
            Release(token);
            throw error;
        }

        return token;
    }

    /// <summary>
    /// Stops watching <paramref name="fd"/>. Events for it already fetched in this round are dropped, since the
    /// token's slot is now of another generation.
    /// </summary>
    public void Unregister(int fd, ulong token)
    {
        Native.epoll_ctl(_epoll, Native.EPOLL_CTL_DEL, fd, null);
        Release(token);
    }

    /// <summary>Runs <paramref name="work"/> on the loop as soon as it can; from any thread.</summary>
    public void Post(Action<object?> work, object? state)
    {
        _posted.Enqueue((work, state));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            // Under the lock Dispose closes the descriptor with: a late post (a connect timing out as the gateway
            // stops) must not write into a descriptor number the process has since reused.
            lock (_posted)
            {
                if (!_closed)
                {
                    ulong one = 1;
                    Native.write(_wake, (byte*)&one, sizeof(ulong));
                }
            }
        }
    }

    /// <summary>Awaited, goes on on the loop (at once when already there).</summary>
    public SwitchAwaitable SwitchTo() => new(this);

    public void Dispose()
    {
        // Once only: a second call would close descriptor numbers the process may have given to something else.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping = true;
        Post(static _ => { }, null);
        if (!IsCurrent && _thread.IsAlive && !_thread.Join(TimeSpan.FromSeconds(5)))
        {
            // Still running (stuck in relay code): its descriptors stay open rather than be closed under it.
            return;
        }

        lock (_posted)
        {
            _closed = true;
            Native.close(_wake);
        }

        Native.close(_epoll);
    }

    private void Release(ulong token)
    {
        var slot = (int)(uint)token;
        _items[slot] = null;
        _generations[slot]++;
        _free.Push(slot);
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        finally
        {
            // Stopping (the gateway is shutting down): what is still open on the loop is closed with it.
            foreach (var item in _items.ToArray())
            {
                (item as LoopSocket)?.Close(abort: true);
            }
        }
    }

    private void Loop()
    {
        var events = stackalloc byte[MaxEvents * 16];
        _nextTick = Environment.TickCount64 + (long)TickInterval.TotalMilliseconds;
        while (!_stopping)
        {
            var wait = (int)Math.Clamp(_nextTick - Environment.TickCount64, 0, (long)TickInterval.TotalMilliseconds);
            var count = Native.epoll_wait(_epoll, events, MaxEvents, wait);
            if (count < 0 && Marshal.GetLastPInvokeError() != Native.EINTR)
            {
                var error = Native.LastError();
                LogLoopFailed(_logger, Id, error);
                return;
            }

            for (var i = 0; i < count; i++)
            {
                var (flags, token) = Native.ReadEvent(events, i);
                if (token == WakeToken)
                {
                    ulong drained;
                    Native.read(_wake, (byte*)&drained, sizeof(ulong));
                    continue;
                }

                var slot = (int)(uint)token;
                if (_items[slot] is { } item && (uint)_generations[slot] == (uint)(token >> 32))
                {
                    Guard(item, flags);
                }

            }

            RunPosted();
            var now = Environment.TickCount64;
            if (now >= _nextTick)
            {
                _nextTick = now + (long)TickInterval.TotalMilliseconds;
                try
                {
                    Ticked?.Invoke(now);
                }
                catch (Exception e)
                {
                    LogWorkFailed(_logger, Id, e);
                }
            }
        }
    }

    private void Guard(ILoopItem item, uint flags)
    {
        // Relay code runs inline here: whatever it throws must not end the loop and every connection on it.
        try
        {
            item.OnEvents(flags);
        }
        catch (Exception e)
        {
            LogWorkFailed(_logger, Id, e);
        }
    }

    private void RunPosted()
    {
        Volatile.Write(ref _wakePending, 0);
        while (_posted.TryDequeue(out var posted))
        {
            try
            {
                posted.Work(posted.State);
            }
            catch (Exception e)
            {
                LogWorkFailed(_logger, Id, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Beam relay loop {Loop}: work on the loop failed")]
    private static partial void LogWorkFailed(ILogger logger, int loop, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Beam relay loop {Loop} stopped: epoll_wait failed")]
    private static partial void LogLoopFailed(ILogger logger, int loop, Exception exception);

    /// <summary>The awaitable of <see cref="SwitchTo"/>: the continuation is posted to the loop.</summary>
    internal readonly struct SwitchAwaitable(EventLoop loop) : System.Runtime.CompilerServices.ICriticalNotifyCompletion
    {
        public bool IsCompleted => loop.IsCurrent;

        public SwitchAwaitable GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => loop.Post(static s => ((Action)s!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }
}
