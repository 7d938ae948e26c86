using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Gateway.Radius;

/// <summary>
/// RADIUS accounting server (RFC 2866) on UDP. Each Accounting-Request from a configured client whose Request
/// Authenticator verifies against that client's secret becomes an <see cref="AccountingEvent"/> for the
/// <see cref="IAccountingEventSink"/>; the Accounting-Response goes out only once the sink has recorded it.
/// Everything else (unknown source, bad authenticator, malformed packet, full queue, failed sink) is dropped without
/// an answer, which is the only refusal RADIUS has: the NAS retries or fails over. Each outcome is logged and counted.
/// </summary>
/// <remarks>
/// The receive loop only parses, verifies and queues; the sink runs on <see cref="RadiusOptions.Concurrency"/> workers
/// reading a queue bounded by <see cref="RadiusOptions.QueueCapacity"/>, so a slow sink can fill the queue but can
/// never stall reception (new requests are then counted as <c>overloaded</c>).
/// </remarks>
internal sealed partial class RadiusAccountingListener(
    IOptions<RadiusOptions> options,
    IAccountingEventSink sink,
    TimeProvider time,
    ILogger<RadiusAccountingListener> logger) : BackgroundService
{
    private const int MaxDatagram = 65535;
    private const int DuplicateCapacity = 16384;

    /// <summary>
    /// The kernel's queue for the socket (capped by net.core.rmem_max): an attach storm of 5,000 requests a second
    /// overflowed the default 208 KiB whenever the receive loop was not scheduled for a few tens of milliseconds on
    /// a busy machine, and those requests were lost before the gateway saw them (the NAS retries, but later).
    /// </summary>
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;
    private readonly RadiusOptions _options = options.Value;

    // Junk from one address (random packets from an allowed client wrote 315,000 lines in 5 s) costs a few lines and
    // a summary per window; the metrics still count every packet.
    private readonly Diagnostics.LogRateLimiter _dropped = new(logger, "RADIUS accounting: dropped requests", time);
    private Socket? _socket;
    private RadiusClientTable? _clients;
    private RadiusDuplicateCache? _duplicates;
    private Channel<WorkItem>? _queue;

    /// <summary>The bound endpoint once started (the actual port when configured with port 0); null when disabled.</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint as IPEndPoint;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        // Bind here rather than in ExecuteAsync so that a taken port fails the host's start and the port is known on return.
        var endpoint = IPEndPoint.Parse(_options.Listen);
        _clients = new RadiusClientTable(_options.Clients);
        _duplicates = new RadiusDuplicateCache(time, _options.DuplicateWindow, Math.Max(DuplicateCapacity, _options.QueueCapacity * 2));
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = ReceiveBufferBytes;
        _socket.Bind(endpoint);
        LogListening(logger, LocalEndPoint!, _options.Clients.Count);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new Task[_options.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None);
        }

        try
        {
            await ReceiveAsync(stoppingToken);
        }
        finally
        {
            _queue!.Writer.TryComplete();
            await Task.WhenAll(workers);
        }
    }

    private async Task ReceiveAsync(CancellationToken stoppingToken)
    {
        var socket = _socket!;

        // One buffer for the listener's lifetime: a datagram is fully parsed into an event before the next receive.
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // An ICMP error from an earlier reply can surface here; it concerns one peer only.
                LogReceiveFailed(logger, e.SocketErrorCode);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            try
            {
                await HandleDatagramAsync(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Defence in depth: no datagram may end the loop that serves every other client.
                if (_dropped.Allow(received.RemoteEndPoint))
                {
                    LogUnexpected(logger, received.RemoteEndPoint, e);
                }

                RadiusMetrics.Count(RadiusMetrics.Malformed);
            }
        }
    }

    private async ValueTask HandleDatagramAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, CancellationToken cancellationToken)
    {
        var client = Net.AddressRanges.Unmap(source.Address);
        if (!_clients!.TryFind(client, out var secret))
        {
            if (_dropped.Allow(source))
            {
                LogUnknownClient(logger, source);
            }

            RadiusMetrics.Count(RadiusMetrics.UnknownClient);
            return;
        }

        if (!RadiusPacket.TryParse(datagram, out var packet, out var failure))
        {
            if (_dropped.Allow(source))
            {
                LogMalformed(logger, source, failure.Message);
            }

            RadiusMetrics.Count(RadiusMetrics.Malformed);
            return;
        }

        if (packet.Code != RadiusCode.AccountingRequest)
        {
            if (_dropped.Allow(source))
            {
                LogMalformed(logger, source, $"code {(byte)packet.Code} is not Accounting-Request (4)");
            }

            RadiusMetrics.Count(RadiusMetrics.Malformed);
            return;
        }

        if (!RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, secret))
        {
            if (_dropped.Allow(source))
            {
                LogBadAuthenticator(logger, source, packet.Identifier);
            }

            RadiusMetrics.Count(RadiusMetrics.BadAuthenticator);
            return;
        }

        if (!AccountingEvent.TryCreate(packet, source, time.GetUtcNow(), out var accountingEvent, out var error))
        {
            if (_dropped.Allow(source))
            {
                LogMalformed(logger, source, error);
            }

            RadiusMetrics.Count(RadiusMetrics.Malformed);
            return;
        }

        var key = new RadiusRequestKey(client, packet.Identifier, BinaryPrimitives.ReadUInt128BigEndian(packet.Authenticator.Span));
        if (!_duplicates!.TryBegin(key, out var previous))
        {
            LogDuplicate(logger, source, packet.Identifier, previous is not null);
            RadiusMetrics.Count(RadiusMetrics.Duplicate);
            if (previous is not null)
            {
                await SendAsync(previous, source, cancellationToken);
            }

            return;
        }

        var item = new WorkItem(accountingEvent, key, secret);
        if (!_queue!.Writer.TryWrite(item))
        {
            _duplicates.Abandon(key);
            if (_dropped.Allow(source))
            {
                LogOverloaded(logger, source, _options.QueueCapacity);
            }

            RadiusMetrics.Count(RadiusMetrics.Overloaded);
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in _queue!.Reader.ReadAllAsync(stoppingToken))
            {
                await RecordAsync(item, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Requests still queued stay unanswered; their NAS retransmits to whichever server is up.
        }
    }

    private async Task RecordAsync(WorkItem item, CancellationToken stoppingToken)
    {
        var e = item.Event;
        bool recorded;
        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            try
            {
                // WaitAsync bounds the wait even for a sink that ignores its token: the worker must come back.
                recorded = await sink.HandleAsync(e, cancel.Token).AsTask().WaitAsync(_options.SinkTimeout, time, stoppingToken);
            }
            catch (TimeoutException)
            {
                await cancel.CancelAsync();
                LogSinkTimedOut(logger, e.Client, e.StatusType, _options.SinkTimeout);
                recorded = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                LogSinkThrew(logger, e.Client, e.StatusType, ex);
                recorded = false;
            }
        }

        if (!recorded)
        {
            _duplicates!.Abandon(item.Key);
            LogSinkFailed(logger, e.Client, e.StatusType, e.Imsi, e.FramedIpAddress);
            RadiusMetrics.Count(RadiusMetrics.SinkFailed);
            return;
        }

        var response = new byte[RadiusPacket.HeaderLength];
        Span<byte> requestAuthenticator = stackalloc byte[RadiusPacket.AuthenticatorLength];
        BinaryPrimitives.WriteUInt128BigEndian(requestAuthenticator, item.Key.Authenticator);
        new RadiusPacketWriter(response, RadiusCode.AccountingResponse, item.Key.Identifier).FinishResponse(requestAuthenticator, item.Secret);
        _duplicates!.Complete(item.Key, response);
        LogRecorded(logger, e.Client, e.StatusType, e.Imsi, e.FramedIpAddress, e.SessionId);
        RadiusMetrics.Count(RadiusMetrics.Ok);
        await SendAsync(response, e.Client, stoppingToken);
    }

    private async ValueTask SendAsync(byte[] response, IPEndPoint target, CancellationToken cancellationToken)
    {
        try
        {
            await _socket!.SendToAsync(response, SocketFlags.None, target, cancellationToken);
        }
        catch (SocketException e)
        {
            // The request is recorded; a lost answer only makes the NAS retransmit, which the duplicate cache answers.
            LogReplyFailed(logger, target, e.SocketErrorCode);
        }
    }

    public override void Dispose()
    {
        _socket?.Dispose();
        _dropped.Dispose();
        base.Dispose();
    }

    private sealed record WorkItem(AccountingEvent Event, RadiusRequestKey Key, byte[] Secret);

    [LoggerMessage(Level = LogLevel.Information, Message = "RADIUS accounting: listening on udp {Endpoint} for {Clients} client(s)")]
    private static partial void LogListening(ILogger logger, IPEndPoint endpoint, int clients);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: dropped a datagram from {Source}, not a configured client")]
    private static partial void LogUnknownClient(ILogger logger, IPEndPoint source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: dropped a malformed packet from {Source}: {Reason}")]
    private static partial void LogMalformed(ILogger logger, IPEndPoint source, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: dropped request {Identifier} from {Source}, bad Request Authenticator (wrong shared secret?)")]
    private static partial void LogBadAuthenticator(ILogger logger, IPEndPoint source, byte identifier);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RADIUS accounting: retransmission of request {Identifier} from {Source} (answered before: {Answered})")]
    private static partial void LogDuplicate(ILogger logger, IPEndPoint source, byte identifier, bool answered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: dropped a request from {Source}, {Capacity} requests already wait for the sink")]
    private static partial void LogOverloaded(ILogger logger, IPEndPoint source, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: sink took longer than {Timeout} for {StatusType} from {Source}")]
    private static partial void LogSinkTimedOut(ILogger logger, IPEndPoint source, AcctStatusType statusType, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "RADIUS accounting: sink failed on {StatusType} from {Source}")]
    private static partial void LogSinkThrew(ILogger logger, IPEndPoint source, AcctStatusType statusType, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: not recorded, left unanswered: {StatusType} from {Source} imsi={Imsi} ip={FramedIp}")]
    private static partial void LogSinkFailed(ILogger logger, IPEndPoint source, AcctStatusType statusType, string? imsi, IPAddress? framedIp);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RADIUS accounting: recorded {StatusType} from {Source} imsi={Imsi} ip={FramedIp} session={SessionId}")]
    private static partial void LogRecorded(ILogger logger, IPEndPoint source, AcctStatusType statusType, string? imsi, IPAddress? framedIp, string? sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RADIUS accounting: receive failed ({Error})")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RADIUS accounting: reply to {Target} failed ({Error})")]
    private static partial void LogReplyFailed(ILogger logger, IPEndPoint target, SocketError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "RADIUS accounting: unexpected failure on a datagram from {Source}")]
    private static partial void LogUnexpected(ILogger logger, EndPoint source, Exception exception);
}
