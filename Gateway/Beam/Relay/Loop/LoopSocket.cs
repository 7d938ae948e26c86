namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// A non-blocking TCP socket registered edge-triggered with an <see cref="EventLoop"/>. It remembers readiness: a
/// read that came back shorter than asked for, or a send that could not take everything, marks the direction not
/// ready, and the next attempt waits for the loop's edge instead of spending a system call to hear "not yet" (what
/// .NET's sockets do on every receive). Used from the loop's thread only.
/// </summary>
internal sealed unsafe class LoopSocket : ILoopItem
{
    private readonly EventLoop _loop;
    private readonly ulong _token;
    private bool _readable = true;
    private bool _writable = true;

    // The peer has ended its side (EPOLLRDHUP) or the connection is gone (EPOLLHUP, EPOLLERR). Edge-triggered epoll
    // folds that into the same edge as the last data when both arrive before the loop looks: the read that takes
    // the data comes back short, and no edge will follow for the end. From then on a short read does not mean
    // "nothing more" (the next one returns the end or the error), as nginx's pending_eof.
    private bool _peerEnded;
    private bool _hungUp;

    public LoopSocket(EventLoop loop, int fd)
    {
        _loop = loop;
        Fd = fd;
        _token = loop.Register(fd, Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET, this);
    }

    public int Fd { get; private set; }

    public EventLoop Loop => _loop;

    public bool IsClosed => Fd < 0;

    /// <summary>Called when the socket may have become readable (data, end of stream or an error).</summary>
    public Action? Readable { get; set; }

    /// <summary>Called when the socket may have become writable (room, or an error).</summary>
    public Action? Writable { get; set; }

    /// <summary>Bytes read (more than 0), 0 at the end of the stream, -1 when nothing is there yet. Errors throw.</summary>
    public int Receive(Span<byte> buffer)
    {
        if (!_readable || Fd < 0)
        {
            return Fd < 0 ? throw new ObjectDisposedException(nameof(LoopSocket)) : -1;
        }

        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = (int)Native.recv(Fd, p, (nuint)buffer.Length, 0);
                if (n > 0)
                {
                    // Short: the socket is drained, and edge-triggered epoll reports the next arrival.
                    _readable = n == buffer.Length || _peerEnded || _hungUp;
                    return n;
                }

                if (n == 0)
                {
                    return 0;
                }

                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Native.EAGAIN)
                {
                    _readable = false;
                    return -1;
                }

                if (errno != Native.EINTR)
                {
                    throw Native.Error(errno);
                }
            }
        }
    }

    /// <summary>Bytes sent (more than 0), or -1 when the socket's buffer is full. Errors throw.</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        if (!_writable || Fd < 0)
        {
            return Fd < 0 ? throw new ObjectDisposedException(nameof(LoopSocket)) : -1;
        }

        fixed (byte* p = data)
        {
            while (true)
            {
                var n = (int)Native.send(Fd, p, (nuint)data.Length, Native.MSG_NOSIGNAL);
                if (n >= 0)
                {
                    _writable = n == data.Length || _hungUp;
                    return n == 0 ? -1 : n;
                }

                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Native.EAGAIN)
                {
                    _writable = false;
                    return -1;
                }

                if (errno != Native.EINTR)
                {
                    throw Native.Error(errno);
                }
            }
        }
    }

    /// <summary>The pending error of a socket whose connect has completed (0: connected).</summary>
    public int TakeError()
    {
        int error = 0, length = sizeof(int);
        Native.getsockopt(Fd, Native.SOL_SOCKET, Native.SO_ERROR, &error, &length);
        return error;
    }

    /// <summary>
    /// Stops watching the socket and gives its descriptor away (to a .NET socket taking the connection over); the
    /// object is closed after this.
    /// </summary>
    public int Detach()
    {
        var fd = Fd;
        _loop.Unregister(fd, _token);
        Fd = -1;
        return fd;
    }

    /// <summary>Closes the connection. <paramref name="abort"/> resets it instead of ending it in order (unsent data is dropped).</summary>
    public void Close(bool abort = false)
    {
        if (Fd < 0)
        {
            return;
        }

        var fd = Detach();
        if (abort)
        {
            // SO_LINGER 0: close sends RST at once rather than trying to deliver what the peer is not reading.
            var linger = stackalloc int[2] { 1, 0 };
            Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_LINGER, linger, 2 * sizeof(int));
        }
        else
        {
            Native.shutdown(fd, Native.SHUT_WR);
        }

        Native.close(fd);

        // Whoever waits learns of it through the error their next attempt gets.
        Readable?.Invoke();
        Writable?.Invoke();
    }

    public void OnEvents(uint events)
    {
        if ((events & (Native.EPOLLHUP | Native.EPOLLERR)) != 0)
        {
            _hungUp = true;
        }

        if ((events & Native.EPOLLRDHUP) != 0)
        {
            _peerEnded = true;
        }

        if ((events & (Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
        {
            _readable = true;
            Readable?.Invoke();
        }

        if ((events & (Native.EPOLLOUT | Native.EPOLLHUP | Native.EPOLLERR)) != 0 && Fd >= 0)
        {
            _writable = true;
            Writable?.Invoke();
        }
    }
}
