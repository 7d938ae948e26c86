using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// UDP on the unified port, an entry point of the message pipeline: one datagram, one message (to Beam's UDP→HTTP
/// entry: one POST); the reply goes back as one datagram to the sender's address and port. Datagrams are handled concurrently up to a bound; past it the device is told <c>503 busy</c>
/// rather than the gateway queuing without limit.
/// </summary>
/// <remarks>
/// Besides the listen address, each address of <see cref="UnifiedAddresses"/> gets a socket of its own, whose
/// datagrams go to that one service; replies leave from the socket the datagram came in on, so from the address the
/// device sent to.
/// </remarks>
internal sealed partial class UdpEntryPoint(
    IdentityResolver resolver, MessagePipeline pipeline, UnifiedAddresses addresses, TimeProvider time, IOptions<BeamOptions> options,
    ILogger<UdpEntryPoint> logger) : BackgroundService
{
    public const string Name = "udp";
    public const int MaxInFlight = 1024;
    private const int MaxDatagram = 65535;
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);
    private readonly List<(Socket Socket, string? Service)> _sockets = [];

    // A flood from one address must not become a flood of log lines; the metrics still count every datagram.
    private readonly Diagnostics.LogRateLimiter _lines = new(logger, "Beam udp: refused or failed datagrams", time);

    /// <summary>The listen address's bound endpoint, once started.</summary>
    public IPEndPoint? LocalEndPoint => _sockets.Count == 0 ? null : _sockets[0].Socket.LocalEndPoint as IPEndPoint;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.UnifiedPort == 0)
        {
            return Task.CompletedTask;
        }

        _sockets.Add((Bind(IPAddress.Parse(options.Value.ListenAddress)), null));
        foreach (var (address, service) in addresses.Bindings)
        {
            _sockets.Add((Bind(address), service));
        }

        return base.StartAsync(cancellationToken);
    }

    private Socket Bind(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, options.Value.UnifiedPort));
        return socket;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sockets.Select(s => ReceiveAsync(s.Socket, s.Service, stoppingToken)));

    private async Task ReceiveAsync(Socket socket, string? service, CancellationToken stoppingToken)
    {
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        // One receive buffer per socket; each datagram is copied into a pooled buffer of its own size. Renting the
        // largest datagram's 64 KiB per message, held until the services answered, outran the shared pool's cache
        // once more than a few dozen messages were in delivery (Funnel waits for Kafka's acknowledgement), and every
        // miss allocated 64 KiB: at 16,000 datagrams/s most of the gateway's CPU went to the garbage collector.
        var receiveBuffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(receiveBuffer, SocketFlags.None, any, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // ICMP port-unreachable from an earlier reply surfaces here on some systems; it concerns one device only.
                if (_lines.Allow("receive"))
                {
                    LogReceiveFailed(logger, e.SocketErrorCode);
                }
                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            if (!_inFlight.Wait(0, CancellationToken.None))
            {
                BeamMetrics.Count(Name, "overloaded");
                await ReplyAsync(socket, source, DeviceReply.Refusal(503, "busy", []), stoppingToken);
                continue;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(received.ReceivedBytes);
            receiveBuffer.AsSpan(0, received.ReceivedBytes).CopyTo(buffer);

            _ = HandleAsync(socket, service, buffer, received.ReceivedBytes, source, stoppingToken);
        }
    }

    private async Task HandleAsync(Socket socket, string? service, byte[] buffer, int length, IPEndPoint source, CancellationToken cancellationToken)
    {
        try
        {
            var device = resolver.ResolveAddress(source.Address);
            if (!device.IsKnown)
            {
                if (_lines.Allow(source.Address))
                {
                    LogRefused(logger, source.ToString(), device.Refusal);
                }

                BeamMetrics.Count(Name, BeamMetrics.Refused(device.Refusal));
                await ReplyAsync(socket, source, DeviceReply.Refusal(403, "device not recognised", []), cancellationToken);
                return;
            }

            // Asked before the shape stage, so that the parser does not run for a message no service takes.
            if (!pipeline.Serves(device, SourceProtocol.Udp, service))
            {
                await RefuseNoEntryAsync(socket, source, service, cancellationToken);
                return;
            }

            var payload = buffer.AsMemory(0, length);
            var message = new DeviceMessage
            {
                Device = device,
                Protocol = SourceProtocol.Udp,
                EntryPoint = Name,
                Source = source,
                Payload = payload,
                Json = GroupBinaryParser.Parse(device.Group, payload.Span),
                ReceivedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                OnlyService = service,
            };
            var result = await pipeline.ProcessAsync(message, cancellationToken);
            if (result.IsEmpty)
            {
                await RefuseNoEntryAsync(socket, source, service, cancellationToken);
                return;
            }

            var bytes = UnifiedReply.Text(result, [], UnifiedEndpointSettings.For(device.Group));
            if (bytes.Length > 0)
            {
                await ReplyAsync(socket, source, bytes, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // One datagram's failure must not go unobserved, nor touch anyone else's.
            if (_lines.Allow(source.Address))
            {
                LogFailed(logger, source, e);
            }

            BeamMetrics.Count(Name, "failed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _inFlight.Release();
        }
    }

    private Task RefuseNoEntryAsync(Socket socket, IPEndPoint source, string? service, CancellationToken cancellationToken)
    {
        BeamMetrics.Count(Name, "no_entry");
        return ReplyAsync(socket, source, DeviceReply.Refusal(404, UnifiedAddresses.NoServiceReason(service, "UDP"), []), cancellationToken);
    }

    private async Task ReplyAsync(Socket socket, IPEndPoint target, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendToAsync(bytes.AsMemory(0, Math.Min(bytes.Length, MaxDatagram - 28)), SocketFlags.None, target, cancellationToken);
        }
        catch (SocketException e)
        {
            if (_lines.Allow(target.Address))
            {
                LogReplyFailed(logger, target, e.SocketErrorCode);
            }
        }
    }

    public override void Dispose()
    {
        foreach (var (socket, _) in _sockets)
        {
            socket.Dispose();
        }

        _inFlight.Dispose();
        _lines.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam udp: refused {Source} ({Refusal})")]
    private static partial void LogRefused(ILogger logger, string source, RefusalReason refusal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Beam udp: handling a datagram from {Source} failed")]
    private static partial void LogFailed(ILogger logger, IPEndPoint source, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Beam udp: receive failed ({Error})")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Beam udp: reply to {Target} failed ({Error})")]
    private static partial void LogReplyFailed(ILogger logger, IPEndPoint target, SocketError error);
}
