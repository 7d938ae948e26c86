using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// A device port on the relay's event loops. Every loop waits on the listening socket (EPOLLEXCLUSIVE: one loop is
/// woken per arrival) and serves what it accepts itself, so a connection, its upstream connections and its relay
/// code stay on one thread. A connection the relay hands over leaves the loop as a socket of Kestrel's transport
/// and is returned from <see cref="AcceptAsync"/>, which is all Kestrel sees of this port.
/// </summary>
internal sealed partial class LoopListener : IConnectionListener
{
    private const int Backlog = 512;

    private readonly LoopGroup _group;
    private readonly HttpRelay _relay;
    private readonly SocketConnectionContextFactory _handOver;
    private readonly long _maxConnections;
    private readonly ILogger _logger;
    private readonly bool _website;
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>(new() { SingleReader = true });
    private readonly Acceptor[] _acceptors;
    private readonly Diagnostics.LogRateLimiter _acceptLog;
    private readonly ProxyProtocol.ProxyProtocolGate? _proxyProtocol;
    private int _fd;

    /// <param name="proxyProtocol">The PROXY protocol's trusted proxies; null when none is trusted.</param>
    public LoopListener(
        LoopEndPoint endPoint, LoopGroup group, HttpRelay relay, SocketConnectionContextFactory handOver, long maxConnections, ILogger logger,
        ProxyProtocol.ProxyProtocolGate? proxyProtocol = null)
    {
        _proxyProtocol = proxyProtocol;
        _group = group;
        _relay = relay;
        _handOver = handOver;
        _maxConnections = maxConnections;
        _logger = logger;
        _website = endPoint.Website;
        _acceptLog = new Diagnostics.LogRateLimiter(logger, "Beam relay: connections refused or failed at accept");
        _fd = Bind(endPoint.Address, out var bound);
        EndPoint = new LoopEndPoint(bound, endPoint.Website);
        _acceptors = [.. group.Loops.Select((loop, i) => new Acceptor(this, loop, group.Upstreams[i]))];
        foreach (var acceptor in _acceptors)
        {
            acceptor.Loop.Post(static s => ((Acceptor)s!).Start(), acceptor);
        }
    }

    public EndPoint EndPoint { get; }

    private string EntryName => _website ? BeamHttpEntryPoint.WebsiteName : BeamHttpEntryPoint.HttpName;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _accepted.Reader.WaitToReadAsync(cancellationToken))
            {
                if (_accepted.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        StopAccepting(closeConnections: false);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        StopAccepting(closeConnections: true);
        _handOver.Dispose();
        _acceptLog.Dispose();
        return ValueTask.CompletedTask;
    }

    private void StopAccepting(bool closeConnections)
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0 && !closeConnections)
        {
            return;
        }

        // Each loop stops watching the socket (and, at the end, closes its connections); the last one closes it.
        var left = _acceptors.Length;
        foreach (var acceptor in _acceptors)
        {
            acceptor.Loop.Post(_ =>
            {
                acceptor.Stop(closeConnections);
                if (Interlocked.Decrement(ref left) == 0 && fd >= 0)
                {
                    Native.close(fd);
                }
            }, null);
        }

        _accepted.Writer.TryComplete();
    }

    private static unsafe int Bind(IPEndPoint address, out IPEndPoint bound)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var fd = Native.socket(v6 ? Native.AF_INET6 : Native.AF_INET, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Native.LastError();
        }

        try
        {
            // As Kestrel binds: address reuse (restarts while old connections linger), and "::" takes IPv4 too.
            int one = 1, zero = 0;
            Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, &one, sizeof(int));
            if (v6 && address.Address.Equals(IPAddress.IPv6Any))
            {
                Native.setsockopt(fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, &zero, sizeof(int));
            }

            var sockaddr = stackalloc byte[Native.SockAddrLength];
            var length = Native.WriteSockAddr(address, sockaddr);
            if (Native.bind(fd, sockaddr, length) < 0)
            {
                var error = Native.LastError();
                throw error.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? new AddressInUseException(error.Message, error)
                    : error;
            }

            if (Native.listen(fd, Backlog) < 0)
            {
                throw Native.LastError();
            }

            length = Native.SockAddrLength;
            Native.getsockname(fd, sockaddr, &length);
            bound = Native.ReadSockAddr(sockaddr);
            return fd;
        }
        catch
        {
            Native.close(fd);
            throw;
        }
    }

    /// <summary>Runs on the loop once the relay is done with a connection it does not close: it goes to Kestrel.</summary>
    private void HandOver(LoopDevice device)
    {
        var first = device.Unconsumed.ToArray();
        device.Release();
        var fd = device.Socket.Detach();
        ConnectionContext connection;
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        try
        {
            connection = _handOver.Create(socket);
        }
        catch (Exception e)
        {
            socket.Dispose();
            LogHandOverFailed(_logger, device.Remote.ToString(), e);
            return;
        }

        if (first.Length > 0)
        {
            connection.Transport = HandOverPipe.Prepend(first, connection.Transport);
        }

        // The socket's peer is the proxy when a PROXY header named the device: Kestrel is told the device's address.
        connection.RemoteEndPoint = device.Remote;

        if (!_accepted.Writer.TryWrite(connection))
        {
            // Shutting down: Kestrel takes no more connections.
            connection.Abort();
            connection.DisposeAsync().AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Beam relay: a connection from {RemoteAddress} could not be handed to Kestrel")]
    private static partial void LogHandOverFailed(ILogger logger, string remoteAddress, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Beam relay: the connection from {RemoteAddress} failed")]
    private static partial void LogConnectionFailed(ILogger logger, string remoteAddress, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam relay: out of file descriptors; a new connection was closed at once (raise the process's descriptor limit, ulimit -n, or lower Gateway:Beam:MaxConnections)")]
    private static partial void LogOutOfDescriptors(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam relay: accepting a connection failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam relay: {Max} connections are open; a new one from {RemoteAddress} was closed")]
    private static partial void LogConnectionRejected(ILogger logger, long max, string remoteAddress);

    /// <summary>The listener on one loop: accepts, serves and keeps the deadlines of the connections it accepted.</summary>
    private sealed class Acceptor(LoopListener listener, EventLoop loop, LoopUpstreamPool upstreams) : ILoopItem
    {
        private readonly Dictionary<RelayConnection, LoopDevice> _sessions = [];
        private RelayConnection[] _snapshot = [];
        private ulong _token;
        private int _fd = -1;

        // Out of descriptors, accept fails and the listening socket stays readable: level-triggered, the loop would
        // spin on it (it once wrote 350,000 log lines in 8 s). A descriptor kept in reserve lets the loop take the
        // waiting connection and close it at once, a refusal the device sees, as libuv does; without one, the loop
        // stops watching the socket until the next tick (nginx's answer), and connections wait in the backlog.
        private int _spare = -1;
        private bool _paused;

        public EventLoop Loop => loop;

        public void Start()
        {
            var fd = Volatile.Read(ref listener._fd);
            if (fd < 0)
            {
                return;
            }

            // Level-triggered: a loop that takes only some of the waiting connections is woken again for the rest.
            _token = loop.Register(fd, Native.EPOLLIN | Native.EPOLLEXCLUSIVE, this);
            _fd = fd;
            _spare = Native.eventfd(0, Native.EFD_CLOEXEC);
            loop.Ticked += Tick;
        }

        public void Stop(bool closeConnections)
        {
            if (_spare >= 0)
            {
                Native.close(_spare);
                _spare = -1;
            }

            if (_fd >= 0)
            {
                if (!_paused)
                {
                    loop.Unregister(_fd, _token);
                }

                _fd = -1;
            }

            if (closeConnections)
            {
                loop.Ticked -= Tick;
                foreach (var device in _sessions.Values.ToArray())
                {
                    device.Close();
                }
            }
        }

        public unsafe void OnEvents(uint events)
        {
            var address = stackalloc byte[Native.SockAddrLength];
            for (var i = 0; i < 64 && _fd >= 0; i++)
            {
                var length = Native.SockAddrLength;
                var fd = Native.accept4(_fd, address, &length, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC);
                if (fd < 0)
                {
                    var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (errno is Native.EMFILE or Native.ENFILE or Native.ENOBUFS or Native.ENOMEM)
                    {
                        if (RefuseWithSpare())
                        {
                            continue;
                        }

                        Pause();
                    }
                    else if (errno is not (Native.EAGAIN or Native.EINTR or 103) && listener._acceptLog.Allow("accept"))
                    {
                        LogAcceptFailed(listener._logger, Native.Error(errno));
                    }

                    return;
                }

                var remote = Native.ReadSockAddr(address);
                if (Hosting.DescriptorBudget.IsOver(fd))
                {
                    // Near the process's limit: refused now, so that the runtime keeps the descriptors it needs.
                    Native.close(fd);
                    RefuseForDescriptors();
                    continue;
                }

                if (Interlocked.Increment(ref listener._group.Connections) > listener._maxConnections)
                {
                    // Kestrel's rule for Gateway:Beam:MaxConnections: over the limit, closed at once.
                    Interlocked.Decrement(ref listener._group.Connections);
                    Native.close(fd);
                    BeamMetrics.Count(listener.EntryName, "connection_limit");
                    if (listener._acceptLog.Allow(remote))
                    {
                        LogConnectionRejected(listener._logger, listener._maxConnections, remote.ToString());
                    }

                    continue;
                }

                var one = 1;
                Native.setsockopt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, &one, sizeof(int));
                LoopSocket socket;
                try
                {
                    socket = new LoopSocket(loop, fd);
                }
                catch (SocketException e)
                {
                    Interlocked.Decrement(ref listener._group.Connections);
                    Native.close(fd);
                    if (listener._acceptLog.Allow("accept"))
                    {
                        LogAcceptFailed(listener._logger, e);
                    }

                    continue;
                }

                _ = ServeAsync(new LoopDevice(socket, remote));
            }
        }

        private async Task ServeAsync(LoopDevice device)
        {
            var handOver = false;
            // One range check per accepted connection; only a trusted proxy's must begin with a PROXY header.
            var proxyProtocol = listener._proxyProtocol is { } gate && gate.IsTrusted(device.Remote.Address) ? gate : null;
            var session = new RelayConnection(listener._relay, device, device.Abort, upstreams, device.Remote, listener._website, proxyProtocol);
            _sessions.Add(session, device);
            try
            {
                handOver = await session.RunAsync();
                device.Remote = session.Remote;
            }
            catch (Exception e)
            {
                LogConnectionFailed(listener._logger, session.Remote.ToString(), e);
            }
            finally
            {
                _sessions.Remove(session);
                session.Dispose();
                Interlocked.Decrement(ref listener._group.Connections);
            }

            if (handOver && !device.Socket.IsClosed)
            {
                listener.HandOver(device);
            }
            else
            {
                device.Close();
            }
        }

        private unsafe bool RefuseWithSpare()
        {
            if (_spare < 0)
            {
                return false;
            }

            Native.close(_spare);
            var fd = Native.accept4(_fd, null, null, Native.SOCK_CLOEXEC);
            if (fd >= 0)
            {
                Native.close(fd);
                RefuseForDescriptors();
            }

            // Another thread may have taken the freed number: then the next shortage pauses instead.
            _spare = Native.eventfd(0, Native.EFD_CLOEXEC);
            return fd >= 0;
        }

        private void RefuseForDescriptors()
        {
            BeamMetrics.Count(listener.EntryName, "out_of_descriptors");
            Hosting.DescriptorBudget.CountDeviceRefused();
            if (listener._acceptLog.Allow("descriptors"))
            {
                LogOutOfDescriptors(listener._logger);
            }
        }

        private void Pause()
        {
            loop.Unregister(_fd, _token);
            _paused = true;
            BeamMetrics.Count(listener.EntryName, "out_of_descriptors");
        }

        private void Resume()
        {
            if (_spare < 0)
            {
                _spare = Native.eventfd(0, Native.EFD_CLOEXEC);
            }

            try
            {
                _token = loop.Register(_fd, Native.EPOLLIN | Native.EPOLLEXCLUSIVE, this);
                _paused = false;
            }
            catch (SocketException)
            {
                // Still short of memory for the registration: the next tick tries again.
            }
        }

        private void Tick(long now)
        {
            if (_paused && _fd >= 0)
            {
                Resume();
            }

            // A snapshot: ending a wait runs the relay on, which may end its connection and leave the set.
            var count = _sessions.Count;
            if (count == 0)
            {
                return;
            }

            if (_snapshot.Length < count)
            {
                _snapshot = new RelayConnection[Math.Max(count, _snapshot.Length * 2)];
            }

            _sessions.Keys.CopyTo(_snapshot, 0);
            for (var i = 0; i < count; i++)
            {
                _snapshot[i].Expire(now);
                _snapshot[i] = null!;
            }
        }
    }
}
