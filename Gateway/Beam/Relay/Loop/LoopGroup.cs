namespace Gateway.Beam.Relay.Loop;

/// <summary>The relay's event loops, one per core, each with its own upstream pool; shared by the HTTP and website ports.</summary>
internal sealed class LoopGroup : IDisposable
{
    public LoopGroup(ILogger logger)
    {
        Loops = new EventLoop[Environment.ProcessorCount];
        Upstreams = new LoopUpstreamPool[Loops.Length];
        for (var i = 0; i < Loops.Length; i++)
        {
            Loops[i] = new EventLoop(i, logger);
            Upstreams[i] = new LoopUpstreamPool(Loops[i]);
            Loops[i].Start();
        }
    }

    /// <summary>Device connections the loops serve now, on every port: held to Gateway:Beam:MaxConnections.</summary>
    public long Connections;

    public EventLoop[] Loops { get; }

    public LoopUpstreamPool[] Upstreams { get; }

    public void Dispose()
    {
        foreach (var loop in Loops)
        {
            loop.Dispose();
        }
    }
}
