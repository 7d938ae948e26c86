using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using Gateway.Beam.Mqtt;
using Gateway.Beam.Relay;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// MQTT into the message pipeline (:1884, and WebSocket at <c>/mqtt</c> on the HTTP device listener): the gateway's
/// own MQTT 3.1, 3.1.1 and 5.0 server side, which terminates MQTT rather than brokering it. Every PUBLISH becomes one
/// <see cref="DeviceMessage"/> for the services the device's group enables, and is never routed to subscribers or
/// retained (SUBSCRIBE is refused), since devices here talk to services, not to each other. The device is who its source
/// address says; the CONNECT's user name and password are ignored. QoS 1/2 are acknowledged only after every service
/// accepted the message; a failure is a PUBACK/PUBREC reason code on MQTT 5, and on 3.1.1 (which has no failure
/// acknowledgement) the connection is closed without one, so the client sends the message again when it reconnects.
/// One connection's packets are handled one after another: one message in delivery per connection.
/// </summary>
internal sealed partial class MqttPipelineEndpoint : IDisposable
{
    public const string TcpName = "mqtt";
    public const string WebSocketName = "mqtt-ws";

    /// <summary>How long a reconnecting device waits for its previous connection's clean-up before it is admitted anyway.</summary>
    internal static readonly TimeSpan PreviousConnectionGrace = TimeSpan.FromSeconds(3);

    /// <summary>How long a new connection may take to send its CONNECT.</summary>
    internal static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private const string SubscribeRefusal = "this endpoint delivers messages to services; it has nothing to subscribe to";

    // Refusals and broken clients are logged a few per source per window; the metrics count every one.
    private readonly Diagnostics.LogRateLimiter _refusals;
    private readonly Diagnostics.LogRateLimiter _broken;

    // Client ID → its live connection. A client ID is one device's: another device asking for it is refused rather
    // than allowed to take the first one's session over (and disconnect it), as a shared broker would.
    private readonly ConcurrentDictionary<string, MqttDeviceSession> _connections = new(StringComparer.Ordinal);

    // Every connection's CONNECT deadline and keepalive, on one shared tick.
    private readonly RelayDeadlines _deadlines = new();

    private readonly IdentityResolver _resolver;
    private readonly MessagePipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttPipelineEndpoint> _logger;
    private readonly Sessions.DeviceSessions? _sessions;
    private readonly CancellationTokenRegistration _stopping;
    private volatile bool _isStopping;

    public MqttPipelineEndpoint(
        IdentityResolver resolver, MessagePipeline pipeline, TimeProvider time, ILogger<MqttPipelineEndpoint> logger,
        Sessions.DeviceSessions? sessions = null, IHostApplicationLifetime? lifetime = null)
    {
        _resolver = resolver;
        _pipeline = pipeline;
        _time = time;
        _logger = logger;
        _sessions = sessions;
        _refusals = new(logger, "MQTT pipeline: refused devices", time);
        _broken = new(logger, "MQTT pipeline: protocol errors", time);
        _stopping = lifetime?.ApplicationStopping.Register(static s => ((MqttPipelineEndpoint)s!).StopAll(), this) ?? default;
    }

    /// <summary>What the loop does after a packet.</summary>
    private enum Step
    {
        Continue,

        /// <summary>Close without publishing the will: a DISCONNECT, a takeover, a refused message on 3.1.1.</summary>
        Close,

        /// <summary>Close and publish the will (§3.1.2.5): the device dropped, broke the protocol or went silent.</summary>
        CloseWithWill,
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _deadlines.Dispose();
        _refusals.Dispose();
        _broken.Dispose();
    }

    /// <summary>
    /// The host is stopping (SIGTERM): every open connection is ended (MQTT 5: DISCONNECT 0x8B server shutting down)
    /// once its message in delivery, if any, is acknowledged, and a CONNECT from now on is refused as server
    /// unavailable. Without this, Kestrel would wait the whole shutdown grace for idle devices that never leave.
    /// </summary>
    private void StopAll()
    {
        _isStopping = true;
        foreach (var connection in _connections)
        {
            connection.Value.End(0x8B);
        }
    }

    /// <summary>
    /// Serves one connection until it ends: the CONNECT, then packet after packet. Returning closes it (Kestrel, or the
    /// WebSocket's caller). <paramref name="source"/> is the device's address, after any PROXY protocol header.
    /// </summary>
    public async Task RunAsync(PipeReader input, PipeWriter output, IPEndPoint? source, string entryPoint)
    {
        if (source is null)
        {
            DeviceMetrics.Connection(entryPoint, "no_address");
            return;
        }

        var session = new MqttDeviceSession(input, output, source, entryPoint, ConnectTimeout);
        _deadlines.Add(session);
        var step = Step.CloseWithWill;
        try
        {
            if (!await HandshakeAsync(session))
            {
                return;
            }

            step = await ServeAsync(session);
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The device is gone (reset, aborted at shutdown): as a drop.
        }
        finally
        {
            _deadlines.Remove(session);
            await CloseAsync(session, step);
        }
    }

    /// <summary>Packet after packet until the connection ends; what the end means for the will.</summary>
    private async Task<Step> ServeAsync(MqttDeviceSession session)
    {
        var input = session.Input;
        while (true)
        {
            var read = await input.ReadAsync();
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return Ended(session);
            }

            session.Touch();
            var frame = MqttPacketLimit.TryRead(buffer, out var first, out var headerLength, out var remaining);
            if (frame is MqttFrameStatus.TooLarge or MqttFrameStatus.Malformed)
            {
                input.AdvanceTo(buffer.End);
                return frame == MqttFrameStatus.TooLarge ? TooLarge(session) : ProtocolError(session, MqttParseStatus.Malformed);
            }

            if (frame == MqttFrameStatus.Incomplete)
            {
                // Nothing more will come: an empty buffer is a closed connection, a partial packet a cut one.
                if (read.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return Step.CloseWithWill;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            // The packet stays in the read buffer until it was handled: a PUBLISH's payload is delivered from it.
            var step = await HandleAsync(session, first, buffer.Slice(headerLength, remaining));
            input.AdvanceTo(buffer.GetPosition(headerLength + remaining));
            if (step != Step.Continue)
            {
                return step;
            }
        }
    }

    /// <summary>One whole packet after the CONNECT (§2.2.1 packet types; fixed-header flags as §2.2.2 fixes them).</summary>
    private ValueTask<Step> HandleAsync(MqttDeviceSession session, byte first, ReadOnlySequence<byte> body)
    {
        var v5 = session.IsV5;
        switch (first)
        {
            case >= 0x30 and <= 0x3F:
                var parsed = MqttDevicePublish.Parse(first, body, v5, out var publish);
                return parsed == MqttParseStatus.Ok ? PublishAsync(session, publish) : ValueTask.FromResult(ProtocolError(session, parsed));
            case MqttControlPackets.PubRel:
                parsed = MqttControlPackets.ParsePubRel(body, v5, out var packetId);
                if (parsed != MqttParseStatus.Ok)
                {
                    return ValueTask.FromResult(ProtocolError(session, parsed));
                }

                // Completed even when nothing awaited it, not refused with MQTT 5's 0x92: some clients (MQTTnet's) send
                // PUBREL after a PUBREC that reported a failure, and read the outcome from the PUBREC only if the
                // PUBCOMP succeeds. The identifier is free again either way.
                session.Release(packetId);
                MqttAcks.Ack(session.Output, MqttAcks.PubComp, packetId);
                return FlushAsync(session);
            case MqttControlPackets.Subscribe or MqttControlPackets.Unsubscribe:
                parsed = MqttControlPackets.ParseSubscription(first, body, v5, out packetId, out var filters);
                if (parsed != MqttParseStatus.Ok)
                {
                    return ValueTask.FromResult(ProtocolError(session, parsed));
                }

                if (first == MqttControlPackets.Subscribe)
                {
                    DeviceMetrics.Count(session.EntryPoint, "subscribe_refused");
                }

                MqttAcks.SubscriptionRefused(session.Output, first == MqttControlPackets.Subscribe, packetId, filters, session.Connect!, SubscribeRefusal);
                return FlushAsync(session);
            case MqttControlPackets.PingReq when body.IsEmpty:
                MqttAcks.PingResp(session.Output);
                return FlushAsync(session);
            case MqttControlPackets.Disconnect:
                parsed = MqttControlPackets.ParseDisconnect(body, v5, out var reason);
                return ValueTask.FromResult(parsed != MqttParseStatus.Ok ? ProtocolError(session, parsed)
                    : reason == MqttControlPackets.DisconnectWithWill ? Step.CloseWithWill : Step.Close);
            default:
                // A second CONNECT (§3.1.0-2), acknowledgements of PUBLISHes never sent, AUTH without an authentication
                // method, reserved types, or a known type with the wrong flags.
                return ValueTask.FromResult(ProtocolError(session, (first >> 4) is 0 or 15 && !v5 ? MqttParseStatus.Malformed : MqttParseStatus.ProtocolError));
        }
    }

    /// <summary>
    /// Writes what was put in the output. A cancelled flush means the connection was ended meanwhile (keepalive,
    /// takeover): the loop stops there.
    /// </summary>
    private static async ValueTask<Step> FlushAsync(MqttDeviceSession session)
    {
        var flushed = await session.Output.FlushAsync();
        return flushed.IsCanceled ? Ended(session) : flushed.IsCompleted ? Step.CloseWithWill : Step.Continue;
    }

    /// <summary>Ended from outside the loop: says why on MQTT 5 (the DISCONNECT goes out as the connection closes).</summary>
    private static Step Ended(MqttDeviceSession session)
    {
        var reason = session.EndReason;
        if (session.IsV5 && reason != 0)
        {
            session.Output.Write(MqttAcks.Disconnect(reason));
        }

        // Keepalive timeout (§3.1.2.10): the will is published; a takeover by the same device publishes none.
        if (reason == 0x8D)
        {
            DeviceMetrics.Count(session.EntryPoint, "keepalive_timeout");
            return Step.CloseWithWill;
        }

        return Step.Close;
    }

    private Step ProtocolError(MqttDeviceSession session, MqttParseStatus status)
    {
        DeviceMetrics.Count(session.EntryPoint, "protocol_error");
        if (_broken.Allow(session.Source.Address))
        {
            LogProtocolError(_logger, session.EntryPoint, session.Source.ToString(), session.ClientId, ProblemText(status));
        }

        if (session.IsV5)
        {
            session.Output.Write(MqttAcks.Disconnect((byte)status));
        }

        return Step.CloseWithWill;
    }

    private Step TooLarge(MqttDeviceSession session)
    {
        DeviceMetrics.Count(session.EntryPoint, "too_large");
        if (_broken.Allow(session.Source.Address))
        {
            LogTooLarge(_logger, session.EntryPoint, session.Source.ToString(), MqttPacketLimit.MaxPacketBytes);
        }

        if (session.IsV5)
        {
            // 0x95 packet too large (§4.13.2).
            session.Output.Write(MqttAcks.Disconnect(0x95));
        }

        return Step.CloseWithWill;
    }

    private static string ProblemText(MqttParseStatus status) => status switch
    {
        MqttParseStatus.Malformed => "malformed packet",
        MqttParseStatus.TopicNameInvalid => "topic name with a wildcard, or empty",
        MqttParseStatus.TopicAliasInvalid => "topic alias, which this endpoint does not offer",
        _ => "packet not allowed here",
    };

    /// <summary>
    /// The connection is over: its client ID is given up (unless its successor holds it), and once it was open, the
    /// device's session count goes down and the will is published when it ended without a DISCONNECT.
    /// </summary>
    private async Task CloseAsync(MqttDeviceSession session, Step step)
    {
        // Removed only while it is still the registered one: after a takeover the ID is already the successor's.
        if (session.ClientId.Length > 0)
        {
            _connections.TryRemove(KeyValuePair.Create(session.ClientId, session));
        }

        if (session.MarkClosed() && session.IsOpen && !session.IsAnonymous)
        {
            _sessions?.Disconnected(session.Owner);
        }

        if (step == Step.CloseWithWill && session.IsOpen && session.Connect!.Will is { } will)
        {
            await PublishWillAsync(session, will);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: {Source} (client ID {ClientId}): {Problem}; connection closed")]
    private static partial void LogProtocolError(ILogger logger, string entryPoint, string source, string clientId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: {Source} announced a packet over {Max} bytes; connection closed")]
    private static partial void LogTooLarge(ILogger logger, string entryPoint, string source, int max);
}
