using System.Net;

namespace Gateway.Beam.Relay.Loop;

/// <summary>An upstream connection on an event loop's socket; used by relay connections of the same loop only.</summary>
internal sealed class LoopUpstream : UpstreamConnection
{
    private readonly LoopSocket _socket;
    private readonly LoopCompletion<int> _receive = new();
    private readonly LoopCompletion<int> _send = new();
    private Memory<byte> _receiveBuffer;
    private ReadOnlyMemory<byte> _sendLeft;

    // The pending send is the connect's completion (reported as writability), not data.
    private bool _connecting;

    private LoopUpstream(LoopSocket socket)
    {
        _socket = socket;
        socket.Readable = OnReadable;
        socket.Writable = OnWritable;
    }

    /// <summary>
    /// Connects to <paramref name="address"/>, on the loop: a non-blocking connect whose completion the loop reports
    /// as writability. <paramref name="cancel"/> ends the attempt.
    /// </summary>
    public static async ValueTask<LoopUpstream> ConnectAsync(EventLoop loop, IPEndPoint address, CancellationToken cancel)
    {
        var fd = Open(address);
        LoopSocket socket;
        try
        {
            socket = new LoopSocket(loop, fd);
        }
        catch
        {
            Native.close(fd);
            throw;
        }

        var upstream = new LoopUpstream(socket);
        using (cancel.UnsafeRegister(static (s, _) => ((LoopUpstream)s!).CancelConnect(), upstream))
        {
            try
            {
                await upstream.ConnectedAsync(address);
                return upstream;
            }
            catch
            {
                upstream.Dispose();
                throw;
            }
        }
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        _sendLeft = data;
        try
        {
            if (SendLeft())
            {
                return ValueTask.CompletedTask;
            }
        }
        catch (Exception e)
        {
            _sendLeft = default;
            return ValueTask.FromException(e);
        }

        return _send.WaitWithoutResult();
    }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        int n;
        try
        {
            n = _socket.Receive(buffer.Span);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }

        if (n >= 0)
        {
            return new ValueTask<int>(n);
        }

        _receiveBuffer = buffer;
        return _receive.Wait();
    }

    public override bool IsSpent()
    {
        // Idle, so nothing is pending: a read tells whether the upstream has closed (0) or sent something unasked.
        Span<byte> one = stackalloc byte[1];
        try
        {
            return _socket.Receive(one) >= 0;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public override void Dispose() => _socket.Close();

    private static unsafe int Open(IPEndPoint address)
    {
        var family = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Native.AF_INET : Native.AF_INET6;
        var fd = Native.socket(family, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Native.LastError();
        }

        if (Hosting.DescriptorBudget.IsOver(fd))
        {
            Native.close(fd);
            throw Hosting.DescriptorBudget.Refused("upstream");
        }

        var one = 1;
        Native.setsockopt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, &one, sizeof(int));
        return fd;
    }

    /// <summary>Sends what is left to send until it is all gone (true) or the socket is full (false). Errors throw.</summary>
    private bool SendLeft()
    {
        while (!_sendLeft.IsEmpty)
        {
            var n = _socket.Send(_sendLeft.Span);
            if (n < 0)
            {
                return false;
            }

            _sendLeft = _sendLeft[n..];
        }

        return true;
    }

    private unsafe ValueTask<int> ConnectedAsync(IPEndPoint address)
    {
        var sockaddr = stackalloc byte[Native.SockAddrLength];
        var length = Native.WriteSockAddr(address, sockaddr);
        if (Native.connect(_socket.Fd, sockaddr, length) == 0)
        {
            return new ValueTask<int>(0);
        }

        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno != Native.EINPROGRESS)
        {
            return ValueTask.FromException<int>(Native.Error(errno));
        }

        // Completion shows as writability: OnWritable sees the pending send of nothing and reports SO_ERROR.
        _sendLeft = ReadOnlyMemory<byte>.Empty;
        _connecting = true;
        return _send.Wait();
    }

    private void CancelConnect()
    {
        // From the timer's thread: the loop ends the wait.
        _socket.Loop.Post(static s =>
        {
            var upstream = (LoopUpstream)s!;
            if (upstream._connecting && upstream._send.IsPending)
            {
                upstream._connecting = false;
                upstream._send.SetException(new OperationCanceledException());
            }
        }, this);
    }

    private void OnReadable()
    {
        if (!_receive.IsPending)
        {
            return;
        }

        int n;
        try
        {
            n = _socket.Receive(_receiveBuffer.Span);
        }
        catch (Exception e)
        {
            _receiveBuffer = default;
            _receive.SetException(e);
            return;
        }

        if (n >= 0)
        {
            _receiveBuffer = default;
            _receive.SetResult(n);
        }
    }

    private void OnWritable()
    {
        if (!_send.IsPending)
        {
            return;
        }

        if (_connecting)
        {
            _connecting = false;
            var error = _socket.IsClosed ? -1 : _socket.TakeError();
            if (error == 0)
            {
                _send.SetResult(0);
            }
            else
            {
                _send.SetException(error < 0 ? new ObjectDisposedException(nameof(LoopUpstream)) : Native.Error(error));
            }

            return;
        }

        try
        {
            if (!SendLeft())
            {
                return;
            }
        }
        catch (Exception e)
        {
            _sendLeft = default;
            _send.SetException(e);
            return;
        }

        _send.SetResult(0);
    }
}
