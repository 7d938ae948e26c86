using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Beam.Relay.Loop;

/// <summary>The Linux system calls the relay's event loop makes, through libc, and the structures they take.</summary>
internal static unsafe partial class Native
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_ERROR = 4;
    public const int SO_LINGER = 13;
    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_IPV6 = 41;
    public const int IPV6_V6ONLY = 26;
    public const int TCP_NODELAY = 1;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLOUT = 0x4;
    public const uint EPOLLERR = 0x8;
    public const uint EPOLLHUP = 0x10;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLET = 1u << 31;
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EINPROGRESS = 115;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOBUFS = 105;

    /// <summary>Room for either address family (struct sockaddr_in is 16 bytes, sockaddr_in6 28).</summary>
    public const int SockAddrLength = 28;

    /// <summary>x86-64 and arm64 lay struct epoll_event out differently (packed on x86-64 only).</summary>
    public static readonly bool PackedEpollEvent = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Whether this process can run the loop: Linux on x86-64 or arm64.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Writes <paramref name="endPoint"/> as a struct sockaddr; returns its length.</summary>
    public static int WriteSockAddr(IPEndPoint endPoint, byte* to)
    {
        new Span<byte>(to, SockAddrLength).Clear();
        var port = (ushort)endPoint.Port;
        to[2] = (byte)(port >> 8);
        to[3] = (byte)port;
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            *(ushort*)to = AF_INET;
            endPoint.Address.TryWriteBytes(new Span<byte>(to + 4, 4), out _);
            return 16;
        }

        *(ushort*)to = AF_INET6;
        endPoint.Address.TryWriteBytes(new Span<byte>(to + 8, 16), out _);
        *(uint*)(to + 24) = (uint)endPoint.Address.ScopeId;
        return 28;
    }

    /// <summary>Reads a struct sockaddr written by the kernel.</summary>
    public static IPEndPoint ReadSockAddr(byte* from)
    {
        var port = (from[2] << 8) | from[3];
        if (*(ushort*)from == AF_INET)
        {
            return new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(from + 4, 4)), port);
        }

        return new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(from + 8, 16), *(uint*)(from + 24)), port);
    }

    /// <summary>epoll_event for this architecture: events, then the 64-bit data, packed on x86-64.</summary>
    public static void WriteEvent(byte* e, uint events, ulong data)
    {
        *(uint*)e = events;
        if (PackedEpollEvent)
        {
            *(ulong*)(e + 4) = data;
        }
        else
        {
            *(ulong*)(e + 8) = data;
        }
    }

    public static int EventSize => PackedEpollEvent ? 12 : 16;

    public static (uint Events, ulong Data) ReadEvent(byte* events, int index)
    {
        var e = events + (index * EventSize);
        return (*(uint*)e, PackedEpollEvent ? *(ulong*)(e + 4) : *(ulong*)(e + 8));
    }

    /// <summary>The errno of the last call made through this class, as the exception a .NET socket would throw.</summary>
    public static SocketException LastError() => new(ToSocketError(Marshal.GetLastPInvokeError()));

    public static SocketException Error(int errno) => new(ToSocketError(errno));

    private static int ToSocketError(int errno) => errno switch
    {
        104 => (int)SocketError.ConnectionReset,
        111 => (int)SocketError.ConnectionRefused,
        110 => (int)SocketError.TimedOut,
        113 => (int)SocketError.HostUnreachable,
        101 => (int)SocketError.NetworkUnreachable,
        98 => (int)SocketError.AddressAlreadyInUse,
        99 => (int)SocketError.AddressNotAvailable,
        32 => (int)SocketError.Shutdown,
        13 => (int)SocketError.AccessDenied,
        24 or 23 => (int)SocketError.TooManyOpenSockets,
        _ => (int)SocketError.SocketError,
    };

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int connect(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockname(int fd, byte* address, int* length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epoll, int op, int fd, byte* e);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epoll, byte* events, int max, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint length);
}
