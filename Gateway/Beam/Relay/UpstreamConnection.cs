using System.Net.Sockets;

namespace Gateway.Beam.Relay;

/// <summary>One kept-alive plain TCP connection to an upstream, owned by one exchange at a time.</summary>
internal sealed class UpstreamConnection(Socket socket) : IDisposable
{
    public Socket Socket { get; } = socket;

    /// <summary>When it was last handed back (Environment.TickCount64).</summary>
    public long IdleSince { get; set; }

    /// <summary>It has carried an exchange before: a failure before any response byte may mean the upstream closed it while idle.</summary>
    public bool Reused { get; set; }

    public void Dispose() => Socket.Dispose();
}
