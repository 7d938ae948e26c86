using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// UDP on the unified port, an entry point of the message pipeline: one datagram, one message (to Beam's UDP→HTTP
/// entry: one POST); the reply goes back as one datagram to the sender's address and port.
/// </summary>
/// <remarks>
/// Admission is decided in the receive loop, before a buffer or a task is spent: an unknown address is refused
/// (<c>403</c>) without any per-device state; a known device is held to its own in-flight bound and rate
/// (<see cref="UdpDeviceLimiter"/>, <c>device_busy</c>, <c>device_rate_limited</c>); then all devices together to
/// <see cref="MaxInFlight"/> (<c>overloaded</c>). A refused device is answered <c>503 …</c> at most once a second, and
/// the entry point sends at most <see cref="MaxRefusalRepliesPerSecond"/> refusal replies in all; past that refusals
/// are silent, so that a flood is not answered by a flood. Memory under a flood: one 64 KiB receive buffer per socket,
/// and at most <see cref="MaxInFlight"/> datagrams in hand, each in a pooled buffer of its own size (at most 64 MiB
/// for 64 KiB datagrams, 1 MiB for typical 1 KiB ones), with the per-device table (about 100 bytes a device, at most
/// <see cref="BeamOptions.UdpMaxTrackedDevices"/>).
/// <para>
/// Besides the listen address, each address of <see cref="UnifiedAddresses"/> gets a socket of its own, whose
/// datagrams go to that one service; replies leave from the socket the datagram came in on, so from the address the
/// device sent to. Harvest's own port (<see cref="BeamOptions.HarvestPort"/>) is one more socket, for Harvest alone.
/// </para>
/// </remarks>
internal sealed partial class UdpEntryPoint(
    IdentityResolver resolver, MessagePipeline pipeline, UnifiedAddresses addresses, TimeProvider time, IOptions<BeamOptions> options,
    ILogger<UdpEntryPoint> logger) : BackgroundService
{
    public const string Name = "udp";
    public const int MaxInFlight = 1024;
    private const int MaxDatagram = 65535;
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;

    // Receives outstanding on each socket at once: with one, a flood is drained by one core while the others idle, and
    // the kernel queue it overflows is the one every device shares.
    private static readonly int s_receiveLoops = Math.Clamp(Environment.ProcessorCount, 2, 4);
    /// <summary>Refusal replies (403, 503) the entry point sends per second at most, all sources together.</summary>
    public const int MaxRefusalRepliesPerSecond = 100;
    private static readonly byte[] s_notRecognised = DeviceReply.Refusal(403, "device not recognised", []);
    private static readonly byte[] s_busy = DeviceReply.Refusal(503, "busy", []);
    private static readonly byte[] s_deviceBusy = DeviceReply.Refusal(503, "too many datagrams in flight from this device", []);
    private static readonly byte[] s_rateLimited = DeviceReply.Refusal(503, "rate limited", []);
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    // Exchanges under way are not cancelled when the host stops: only once its shutdown grace runs out (see StopAsync).
    private readonly CancellationTokenSource _exchanges = new();
    private readonly UdpDeviceLimiter _devices = new(
        options.Value.UdpMaxInFlightPerDevice, options.Value.UdpRatePerDevice, options.Value.UdpBurstPerDevice, options.Value.UdpMaxTrackedDevices, time);
    private readonly Lock _replyLock = new();
    private long _replySecond;
    private int _repliesThisSecond;
    private readonly List<(Socket Socket, string? Service)> _sockets = [];

    // A flood from one address must not become a flood of log lines; the metrics still count every datagram.
    private readonly Diagnostics.LogRateLimiter _lines = new(logger, "Beam udp: refused or failed datagrams", time);

    /// <summary>The listen address's bound endpoint, once started.</summary>
    public IPEndPoint? LocalEndPoint => _sockets.Count == 0 ? null : _sockets[0].Socket.LocalEndPoint as IPEndPoint;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var (listen, unified, harvest) = (IPAddress.Parse(options.Value.ListenAddress), options.Value.UnifiedPort, options.Value.HarvestPort);
        if (unified != 0)
        {
            _sockets.Add((Bind(listen, unified), null));
            foreach (var (address, service) in addresses.Bindings)
            {
                _sockets.Add((Bind(address, unified), service));
            }
        }

        if (harvest != 0)
        {
            _sockets.Add((Bind(listen, harvest), "harvest"));
        }

        return _sockets.Count == 0 ? Task.CompletedTask : base.StartAsync(cancellationToken);
    }

    private static Socket Bind(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);

        // A deeper kernel queue (up to net.core.rmem_max) rides out a burst while the loop drains a flood.
        socket.ReceiveBufferSize = ReceiveBufferBytes;
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    /// <summary>
    /// Graceful stop: the receive loops end first (no new datagram is taken), then the exchanges under way get until
    /// the host's shutdown grace (<c>Gateway:ShutdownGraceSeconds</c>) runs out to finish and send their replies.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            while (_inFlight.CurrentCount < MaxInFlight)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            LogGraceExpired(logger, MaxInFlight - _inFlight.CurrentCount);
        }
        finally
        {
            await _exchanges.CancelAsync();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sockets.SelectMany(s => Enumerable.Range(0, s_receiveLoops).Select(_ => ReceiveAsync(s.Socket, s.Service, stoppingToken))));

    private async Task ReceiveAsync(Socket socket, string? service, CancellationToken stoppingToken)
    {
        // One buffer per loop: a datagram is copied out at its own size only once admitted, so a refused flood costs
        // no buffer at all, and an admitted one its size, not the 64 KiB a datagram might have been.
        var buffer = new byte[MaxDatagram];

        // Received into a reused socket address; the endpoint object is made again only when the source changes, so
        // that a flood from one source is drained without an allocation per datagram. The loop has to drain faster
        // than a flooder sends, or the kernel's queue fills and drops everyone's datagrams alike.
        var address = new SocketAddress(socket.AddressFamily);
        var template = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        SocketAddress? lastAddress = null;
        IPEndPoint source = template;
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, address, stoppingToken);
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

            if (lastAddress is null || !address.Equals(lastAddress))
            {
                source = (IPEndPoint)template.Create(address);
                lastAddress = new SocketAddress(address.Family, address.Size);
                address.Buffer.CopyTo(lastAddress.Buffer);
            }

            var refusal = Admit(source, out var device, out var key);
            if (refusal is not null)
            {
                if (refusal.Length > 0)
                {
                    await ReplyAsync(socket, source, refusal, stoppingToken);
                }

                continue;
            }

            var datagram = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            buffer.AsSpan(0, length).CopyTo(datagram);
            _ = HandleAsync(socket, service, device, key!, datagram, length, source, _exchanges.Token);
        }
    }

    // Decides in the receive loop, before any buffer or task is spent on it, whether a datagram is handled. Null when it
    // is (the device and its limiter key are set, and must be released); otherwise the reply to send, empty for none.
    // Unknown addresses are refused before the per-device table is touched, so spoofed sources cannot grow it.
    private byte[]? Admit(IPEndPoint source, out DeviceIdentity device, out object? key)
    {
        key = null;
        device = resolver.ResolveAddress(source.Address);
        if (!device.IsKnown)
        {
            if (_lines.Allow(source.Address))
            {
                LogRefused(logger, source.ToString(), device.Refusal);
            }

            BeamMetrics.Count(Name, BeamMetrics.Refused(device.Refusal));
            return AllowRefusalReply() ? s_notRecognised : [];
        }

        // Anonymous devices (a group's range) have no IMSI: each source address is one device.
        key = device.Subscriber!.IsAnonymous ? source.Address : device.Subscriber.Imsi;
        var verdict = _devices.TryAdmit(key, out var reply);
        if (verdict != UdpDeviceLimiter.Verdict.Admitted)
        {
            var (result, bytes) = verdict switch
            {
                UdpDeviceLimiter.Verdict.RateLimited => ("device_rate_limited", s_rateLimited),
                UdpDeviceLimiter.Verdict.Busy => ("device_busy", s_deviceBusy),
                _ => ("device_table_full", s_busy),
            };
            if (_lines.Allow(source.Address))
            {
                LogDeviceRefused(logger, source.ToString(), device.Label, result);
            }

            BeamMetrics.Count(Name, result);
            return reply && AllowRefusalReply() ? bytes : [];
        }

        if (!_inFlight.Wait(0, CancellationToken.None))
        {
            _devices.Release(key);
            BeamMetrics.Count(Name, "overloaded");
            return AllowRefusalReply() ? s_busy : [];
        }

        return null;
    }

    // Every refusal reply of the entry point together, at most MaxRefusalRepliesPerSecond: past it refusals are
    // silent. A reply to each datagram of a flood would double the flood and, to spoofed sources, reflect it.
    private bool AllowRefusalReply()
    {
        var second = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerSecond;
        lock (_replyLock)
        {
            if (second != _replySecond)
            {
                (_replySecond, _repliesThisSecond) = (second, 0);
            }

            return ++_repliesThisSecond <= MaxRefusalRepliesPerSecond;
        }
    }

    private async Task HandleAsync(
        Socket socket, string? service, DeviceIdentity device, object key, byte[] buffer, int length, IPEndPoint source, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
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

            BeamMetrics.RequestDuration(Name, started);
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
            _devices.Release(key);
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
        _exchanges.Dispose();
        _lines.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam udp: refused {Source} ({Refusal})")]
    private static partial void LogRefused(ILogger logger, string source, RefusalReason refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam udp: refused {Source} ({Device}): {Result}")]
    private static partial void LogDeviceRefused(ILogger logger, string source, string device, string result);

    [LoggerMessage(Level = LogLevel.Error, Message = "Beam udp: handling a datagram from {Source} failed")]
    private static partial void LogFailed(ILogger logger, IPEndPoint source, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Beam udp: receive failed ({Error})")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Beam udp: reply to {Target} failed ({Error})")]
    private static partial void LogReplyFailed(ILogger logger, IPEndPoint target, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam udp: the shutdown grace ran out with {Count} exchanges still under way; they are cancelled")]
    private static partial void LogGraceExpired(ILogger logger, int count);
}
