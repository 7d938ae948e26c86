using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// Kestrel's transport for the HTTP and website device ports (<see cref="LoopEndPoint"/>): the relay serves their
/// connections on its event loops, and Kestrel is given only those the relay hands over (for its HTTP layer, at a
/// request boundary), as sockets of its own socket transport. Every other port stays on Kestrel's socket transport.
/// </summary>
internal sealed class LoopTransportFactory(HttpRelay relay, IOptions<BeamOptions> options, ILoggerFactory loggers, ProxyProtocol.ProxyProtocolGate? proxyProtocol = null)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly Lock _lock = new();
    private LoopGroup? _group;

    public bool CanBind(EndPoint endpoint) => endpoint is LoopEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not LoopEndPoint loopEndPoint)
        {
            throw new NotSupportedException($"{endpoint} is not a Beam relay port.");
        }

        LoopGroup group;
        lock (_lock)
        {
            group = _group ??= new LoopGroup(loggers.CreateLogger<EventLoop>());
        }

        var handOver = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions { UnsafePreferInlineScheduling = options.Value.InlineIoCompletions },
            loggers.CreateLogger<LoopTransportFactory>());
        return ValueTask.FromResult<IConnectionListener>(new LoopListener(
            loopEndPoint, group, relay, handOver, options.Value.MaxConnections, loggers.CreateLogger<LoopListener>(),
            proxyProtocol is { IsOn: true } ? proxyProtocol : null));
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _group?.Dispose();
            _group = null;
        }
    }
}
