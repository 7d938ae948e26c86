namespace Gateway.Beam.Relay;

/// <summary>
/// One kept-alive plain TCP connection to an upstream, owned by one exchange at a time: a .NET socket
/// (<see cref="SocketUpstream"/>) or a socket of the relay's event loop (<see cref="Loop.LoopUpstream"/>).
/// </summary>
internal abstract class UpstreamConnection : IDisposable
{
    /// <summary>When it was last handed back (Environment.TickCount64).</summary>
    public long IdleSince { get; set; }

    /// <summary>It has carried an exchange before: a failure before any response byte may mean the upstream closed it while idle.</summary>
    public bool Reused { get; set; }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> data);

    /// <summary>Reads what has arrived into <paramref name="buffer"/>, waiting for something; 0 when the upstream has closed.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Readable while idle: the upstream closed it (or sent something unasked), so it cannot be reused.</summary>
    public abstract bool IsSpent();

    /// <summary>Closes the connection; a send or receive waiting on it ends with an error.</summary>
    public abstract void Dispose();
}
