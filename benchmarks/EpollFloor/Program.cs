using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Gateway.EpollFloor;

// usage: epoll-floor LISTEN_PORT UPSTREAM_PORT [--async] (both on 127.0.0.1). One event loop per core, each with its own
// listening socket on the port (SO_REUSEPORT, the kernel spreads connections), its own upstream connections and no
// locks. Relays what benchmarks/RelayFloor relays: enough to measure, not to serve anyone.
var useAsync = args.Length == 3 && args[2] == "--async";
if (args.Length is < 2 or > 3 || !ushort.TryParse(args[0], CultureInfo.InvariantCulture, out var port) || !ushort.TryParse(args[1], CultureInfo.InvariantCulture, out var upstreamPort))
{
    Console.Error.WriteLine("usage: epoll-floor LISTEN_PORT UPSTREAM_PORT");
    return 2;
}

var threads = new List<Thread>();
for (var i = 0; i < Environment.ProcessorCount; i++)
{
    var loop = new Loop(port, upstreamPort, useAsync);
    var thread = new Thread(loop.Run) { IsBackground = true, Name = $"epoll-floor {i}" };
    thread.Start();
    threads.Add(thread);
}

foreach (var thread in threads)
{
    thread.Join();
}

return 0;

namespace Gateway.EpollFloor
{
    /// <summary>One event loop: a listening socket, its device connections and its upstream connections.</summary>
    internal sealed class Loop
    {
        private const int BufferSize = 16 * 1024;

        private static readonly byte[] s_identity = Encoding.ASCII.GetBytes(
            "x-soracom-imsi: 440101234567890\r\nx-soracom-timestamp: 1445587157992\r\n" +
            "x-soracom-signature: 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5\r\nx-soracom-signature-version: 20151001\r\n\r\n");

        private readonly int _epoll;
        private readonly int _listener;
        private readonly ushort _upstreamPort;
        private readonly List<object?> _tokens = [null];
        private readonly Stack<Upstream> _idle = new();

        private readonly bool _async;

        public unsafe Loop(ushort port, ushort upstreamPort, bool useAsync)
        {
            _async = useAsync;
            _upstreamPort = upstreamPort;
            _epoll = Check(Native.epoll_create1(Native.EPOLL_CLOEXEC));
            _listener = Check(Native.socket(Native.AF_INET, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0));
            var one = 1;
            Check(Native.setsockopt(_listener, Native.SOL_SOCKET, Native.SO_REUSEADDR, &one, sizeof(int)));
            Check(Native.setsockopt(_listener, Native.SOL_SOCKET, Native.SO_REUSEPORT, &one, sizeof(int)));
            var address = Native.Loopback(port);
            Check(Native.bind(_listener, &address, (uint)sizeof(Native.SockAddrIn)));
            Check(Native.listen(_listener, 1024));
            Add(_listener, Native.EPOLLIN, 0);
        }

        public unsafe void Run()
        {
            var events = stackalloc Native.EpollEvent[256];
            while (true)
            {
                var count = Native.epoll_wait(_epoll, events, 256, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Native.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"epoll_wait: errno {Marshal.GetLastPInvokeError()}");
                }

                for (var i = 0; i < count; i++)
                {
                    var token = (int)events[i].Data;
                    if (token == 0)
                    {
                        Accept();
                    }
                    else if (_tokens[token] is Device device)
                    {
                        if (_async)
                        {
                            device.Signal();
                        }
                        else
                        {
                            OnDevice(device);
                        }
                    }
                    else if (_tokens[token] is Upstream upstream)
                    {
                        if (upstream.Owner is null)
                        {
                            CheckIdle(upstream);
                        }
                        else if (_async)
                        {
                            upstream.Signal();
                        }
                        else
                        {
                            OnUpstream(upstream);
                        }
                    }
                }
            }
        }

        private unsafe void Accept()
        {
            while (true)
            {
                var fd = Native.accept4(_listener, null, null, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC);
                if (fd < 0)
                {
                    return;
                }

                var one = 1;
                Native.setsockopt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, &one, sizeof(int));
                var device = new Device(fd, _tokens.Count);
                _tokens.Add(device);
                Add(fd, Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLET, device.Token);
                if (_async)
                {
                    _ = ServeAsync(device);
                }
            }
        }

        private void OnDevice(Device device)
        {
            if (device.Waiting is not null)
            {
                // Read once the upstream has answered.
                device.Pending = true;
                return;
            }

            var read = Read(device.Fd, device.Buffer, ref device.Have);
            if (read < 0)
            {
                Close(device);
                return;
            }

            Serve(device);
        }

        /// <summary>Sends the request at the start of the device's buffer, if a whole head has arrived.</summary>
        private unsafe void Serve(Device device)
        {
            var end = device.Buffer.AsSpan(0, device.Have).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return;
            }

            var upstream = Rent();
            var kept = end + 2;
            device.Buffer.AsSpan(0, kept).CopyTo(upstream.Buffer);
            s_identity.CopyTo(upstream.Buffer, kept);
            var length = kept + s_identity.Length;
            device.Have -= end + 4;
            device.Buffer.AsSpan(end + 4, device.Have).CopyTo(device.Buffer);

            fixed (byte* p = upstream.Buffer)
            {
                if (Native.send(upstream.Fd, p, (nuint)length, Native.MSG_NOSIGNAL) != length)
                {
                    throw new IOException("a short send to the upstream (not handled by this floor)");
                }
            }

            upstream.Owner = device;
            upstream.Have = 0;
            device.Waiting = upstream;
        }

        /// <summary>The same relaying as OnDevice and OnUpstream, written as one async method over awaited reads.</summary>
        private async Task ServeAsync(Device device)
        {
            while (true)
            {
                int end;
                while ((end = device.Buffer.AsSpan(0, device.Have).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    if (await device.ReceiveAsync() <= 0)
                    {
                        Close(device);
                        return;
                    }
                }

                var upstream = Rent();
                upstream.Owner = device;
                var kept = end + 2;
                device.Buffer.AsSpan(0, kept).CopyTo(upstream.Buffer);
                s_identity.CopyTo(upstream.Buffer, kept);
                SendAll(upstream.Fd, upstream.Buffer, kept + s_identity.Length);
                device.Have -= end + 4;
                device.Buffer.AsSpan(end + 4, device.Have).CopyTo(device.Buffer);

                upstream.Have = 0;
                int total;
                while ((total = ReplyLength(upstream.Buffer.AsSpan(0, upstream.Have))) < 0 || upstream.Have < total)
                {
                    if (await upstream.ReceiveAsync() <= 0)
                    {
                        throw new IOException("the upstream closed the connection");
                    }
                }

                SendAll(device.Fd, upstream.Buffer, total);
                upstream.Owner = null;
                Release(upstream, upstream.Buffer.AsSpan(0, total));
            }
        }

        private static int ReplyLength(ReadOnlySpan<byte> received)
        {
            var headEnd = received.IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return -1;
            }

            var head = received[..headEnd];
            var at = head.IndexOf("Content-Length:"u8) + "Content-Length:".Length;
            var line = head[at..];
            var lineEnd = line.IndexOf("\r"u8);
            return headEnd + 4 + int.Parse(Encoding.ASCII.GetString(lineEnd < 0 ? line : line[..lineEnd]).Trim(), CultureInfo.InvariantCulture);
        }

        private static unsafe void SendAll(int fd, byte[] buffer, int length)
        {
            fixed (byte* p = buffer)
            {
                if (Native.send(fd, p, (nuint)length, Native.MSG_NOSIGNAL) != length)
                {
                    throw new IOException("a short send (not handled by this floor)");
                }
            }
        }

        private unsafe void OnUpstream(Upstream upstream)
        {
            if (upstream.Owner is not { } device)
            {
                return;
            }

            if (Read(upstream.Fd, upstream.Buffer, ref upstream.Have) < 0)
            {
                throw new IOException("the upstream closed the connection");
            }

            var headEnd = upstream.Buffer.AsSpan(0, upstream.Have).IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return;
            }

            var head = upstream.Buffer.AsSpan(0, headEnd);
            var at = head.IndexOf("Content-Length:"u8) + "Content-Length:".Length;
            var line = head[at..];
            var lineEnd = line.IndexOf("\r"u8);
            var total = headEnd + 4 + int.Parse(Encoding.ASCII.GetString(lineEnd < 0 ? line : line[..lineEnd]).Trim(), CultureInfo.InvariantCulture);
            if (upstream.Have < total)
            {
                return;
            }

            fixed (byte* p = upstream.Buffer)
            {
                if (Native.send(device.Fd, p, (nuint)total, Native.MSG_NOSIGNAL) != total)
                {
                    throw new IOException("a short send to the device (not handled by this floor)");
                }
            }

            upstream.Owner = null;
            Release(upstream, head);
            device.Waiting = null;
            if (device.Pending)
            {
                device.Pending = false;
                OnDevice(device);
            }
            else if (device.Have > 0)
            {
                Serve(device);
            }
        }

        /// <summary>Back to the pool, unless the upstream said it closes the connection (nginx does after 1,000 requests).</summary>
        private void Release(Upstream upstream, ReadOnlySpan<byte> head)
        {
            if (head.IndexOf("Connection: close"u8) < 0)
            {
                _idle.Push(upstream);
                return;
            }

            Native.close(upstream.Fd);
            _tokens[upstream.Token] = null;
        }

        /// <summary>An idle upstream connection became readable: the upstream closed it (nginx does after its keepalive_timeout).</summary>
        private unsafe void CheckIdle(Upstream upstream)
        {
            var one = stackalloc byte[1];
            if (Native.recv(upstream.Fd, one, 1, 0) < 0 && Marshal.GetLastPInvokeError() == Native.EAGAIN)
            {
                return;
            }

            upstream.Dead = true;
            Native.close(upstream.Fd);
            _tokens[upstream.Token] = null;
        }

        private unsafe Upstream Rent()
        {
            while (_idle.TryPop(out var idle))
            {
                if (!idle.Dead)
                {
                    return idle;
                }
            }

            // Connected blocking (once per upstream connection), then made non-blocking.
            var fd = Check(Native.socket(Native.AF_INET, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0));
            var address = Native.Loopback(_upstreamPort);
            Check(Native.connect(fd, &address, (uint)sizeof(Native.SockAddrIn)));
            var one = 1;
            Check(Native.setsockopt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, &one, sizeof(int)));
            Check(Native.fcntl(fd, Native.F_SETFL, Native.fcntl(fd, Native.F_GETFL, 0) | Native.O_NONBLOCK));
            var upstream = new Upstream(fd, _tokens.Count);
            _tokens.Add(upstream);
            Add(fd, Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLET, upstream.Token);
            return upstream;
        }

        /// <summary>
        /// Reads what the socket holds. A read shorter than asked for means the socket is drained: edge-triggered
        /// epoll reports the next arrival, so no read is spent to learn "nothing more" (nginx does the same).
        /// -1 when the peer has closed.
        /// </summary>
        private static unsafe int Read(int fd, byte[] buffer, ref int have)
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var room = buffer.Length - have;
                    if (room == 0)
                    {
                        throw new IOException("a head larger than the buffer (not handled by this floor)");
                    }

                    var n = (int)Native.recv(fd, p + have, (nuint)room, 0);
                    if (n > 0)
                    {
                        have += n;
                        if (n < room)
                        {
                            return 0;
                        }

                        continue;
                    }

                    if (n == 0)
                    {
                        return -1;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EAGAIN)
                    {
                        return 0;
                    }

                    if (errno != Native.EINTR)
                    {
                        return -1;
                    }
                }
            }
        }

        private void Close(Device device)
        {
            Native.close(device.Fd);
            _tokens[device.Token] = null;
        }

        private unsafe void Add(int fd, uint events, int token)
        {
            var e = new Native.EpollEvent { Events = events, Data = (ulong)token };
            Check(Native.epoll_ctl(_epoll, Native.EPOLL_CTL_ADD, fd, &e));
        }

        private static int Check(int result) =>
            result >= 0 ? result : throw new IOException($"system call failed: errno {Marshal.GetLastPInvokeError()}");

        /// <summary>
        /// A socket the loop reads for an awaiting method. Edge-triggered readiness is remembered, so a read that
        /// came back short is not followed by one that can only say "nothing yet": the next wait is for the edge.
        /// </summary>
        private abstract class Endpoint(int fd, int token) : System.Threading.Tasks.Sources.IValueTaskSource<int>
        {
            private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<int> _core;
            private bool _readable = true;
            private bool _waiting;

            public int Fd { get; } = fd;

            public int Token { get; } = token;

            public byte[] Buffer { get; } = new byte[BufferSize];

            public int Have;

            /// <summary>Bytes read into the buffer (0: closed), once there are some.</summary>
            public ValueTask<int> ReceiveAsync()
            {
                if (_readable && TryReceive(out var n))
                {
                    return new ValueTask<int>(n);
                }

                _waiting = true;
                _core.Reset();
                return new ValueTask<int>(this, _core.Version);
            }

            /// <summary>The loop saw the socket become readable.</summary>
            public void Signal()
            {
                _readable = true;
                if (_waiting && TryReceive(out var n))
                {
                    _waiting = false;
                    _core.SetResult(n);
                }
            }

            private unsafe bool TryReceive(out int n)
            {
                fixed (byte* p = Buffer)
                {
                    var room = Buffer.Length - Have;
                    n = (int)Native.recv(Fd, p + Have, (nuint)room, 0);
                    if (n > 0)
                    {
                        Have += n;
                        _readable = n == room;
                        return true;
                    }

                    if (n == 0 || Marshal.GetLastPInvokeError() != Native.EAGAIN)
                    {
                        n = 0;
                        return true;
                    }

                    _readable = false;
                    return false;
                }
            }

            public int GetResult(short token) => _core.GetResult(token);

            public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

            public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
                _core.OnCompleted(continuation, state, token, flags);
        }

        private sealed class Device(int fd, int token) : Endpoint(fd, token)
        {
            public Upstream? Waiting { get; set; }

            public bool Pending { get; set; }
        }

        private sealed class Upstream(int fd, int token) : Endpoint(fd, token)
        {
            public Device? Owner { get; set; }

            public bool Dead { get; set; }
        }
    }

    /// <summary>The Linux x86-64 system calls the loop uses, through libc.</summary>
    internal static unsafe partial class Native
    {
        public const int AF_INET = 2;
        public const int SOCK_STREAM = 1;
        public const int SOCK_NONBLOCK = 0x800;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int SOL_SOCKET = 1;
        public const int SO_REUSEADDR = 2;
        public const int SO_REUSEPORT = 15;
        public const int IPPROTO_TCP = 6;
        public const int TCP_NODELAY = 1;
        public const int MSG_NOSIGNAL = 0x4000;
        public const int F_GETFL = 3;
        public const int F_SETFL = 4;
        public const int O_NONBLOCK = 0x800;
        public const int EPOLL_CLOEXEC = 0x80000;
        public const int EPOLL_CTL_ADD = 1;
        public const uint EPOLLIN = 0x1;
        public const uint EPOLLRDHUP = 0x2000;
        public const uint EPOLLET = 0x80000000;
        public const int EINTR = 4;
        public const int EAGAIN = 11;

        [StructLayout(LayoutKind.Sequential)]
        public struct SockAddrIn
        {
            public ushort Family;
            public ushort Port;
            public uint Address;
            public ulong Zero;
        }

        /// <summary>x86-64's struct epoll_event is packed: 4 bytes of events, then 8 of data.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct EpollEvent
        {
            public uint Events;
            public ulong Data;
        }

        public static SockAddrIn Loopback(ushort port) => new()
        {
            Family = AF_INET,
            Port = (ushort)((port >> 8) | (port << 8)),
            Address = 0x0100007F,
        };

        [LibraryImport("libc", SetLastError = true)]
        public static partial int socket(int domain, int type, int protocol);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int setsockopt(int fd, int level, int name, void* value, int length);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int bind(int fd, SockAddrIn* address, uint length);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int listen(int fd, int backlog);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int accept4(int fd, void* address, void* length, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int connect(int fd, SockAddrIn* address, uint length);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int fcntl(int fd, int command, int argument);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint recv(int fd, byte* buffer, nuint length, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial nint send(int fd, byte* buffer, nuint length, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int close(int fd);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_create1(int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_ctl(int epoll, int op, int fd, EpollEvent* e);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int epoll_wait(int epoll, EpollEvent* events, int max, int timeout);
    }
}
