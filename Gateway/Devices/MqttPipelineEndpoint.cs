using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Gateway.Pipeline;
using Gateway.Registry;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Gateway.Devices;

/// <summary>
/// MQTT into the message pipeline, on MQTTnet's server (:1884, and WebSocket at <c>/mqtt</c> on the HTTP device
/// listener). It terminates MQTT rather than brokering it: every PUBLISH becomes one <see cref="DeviceMessage"/> for the
/// services the device's group enables, and is never routed to subscribers or retained (SUBSCRIBE is refused), since
/// devices here talk to services, not to each other. The device is who its source address says; the CONNECT's user
/// name and password are ignored. QoS 1/2 are acknowledged only after every service accepted the message; a failure
/// is a PUBACK/PUBREC reason code on MQTT 5, and on 3.1.1 (which has no failure acknowledgement) the connection is
/// closed without one, so the client sends the message again when it reconnects.
/// </summary>
internal sealed partial class MqttPipelineEndpoint(
    IdentityResolver resolver, MessagePipeline pipeline, TimeProvider time, ILogger<MqttPipelineEndpoint> logger, Sessions.DeviceSessions? sessions = null)
    : IDisposable
{
    // Refusals are logged a few per source per window; the metrics count every one.
    /// <summary>Where a connection's <see cref="MqttDeviceConnection"/> is kept in its MQTTnet session items.</summary>
    private const string SessionKey = "gateway.device";

    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "MQTT pipeline: refused devices", time);

    public void Dispose() => _refusals.Dispose();

    public const string TcpName = "mqtt";
    public const string WebSocketName = "mqtt-ws";

    // Client ID → its live connection. A client ID is one device's: another device asking for it is refused rather
    // than allowed to take the first one's session over (and disconnect it), as a shared broker would.
    private readonly ConcurrentDictionary<string, MqttDeviceConnection> _connections = new(StringComparer.Ordinal);

    /// <summary>How long a reconnecting device waits for its previous connection's clean-up before it is admitted anyway.</summary>
    internal static readonly TimeSpan PreviousConnectionGrace = TimeSpan.FromSeconds(3);

    private MqttServer? _server;

    public void Attach(MqttServer server)
    {
        _server = server;
        server.ValidatingConnectionAsync += ValidateAsync;
        server.ClientConnectedAsync += ConnectedAsync;
        server.ClientDisconnectedAsync += DisconnectedAsync;
        server.InterceptingPublishAsync += PublishAsync;
        server.InterceptingSubscriptionAsync += SubscribeAsync;
    }

    private async Task ValidateAsync(ValidatingConnectionEventArgs args)
    {
        var (connection, previous) = Admit(args);
        if (connection is null)
        {
            return;
        }

        if (previous is not null)
        {
            await RetirePreviousAsync(string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId, previous, connection);
        }

        // The connection's own record travels with its session, so its PUBLISHes and its disconnect find it even
        // when the device has meanwhile connected again under the same client ID (MQTTnet reports a dropped
        // connection only after its loop ended).
        if (args.SessionItems is { } items)
        {
            items[SessionKey] = connection;
        }

        DeviceMetrics.Connection(connection.EntryPoint, "ok");
    }

    /// <summary>
    /// Decides on a CONNECT: the device's identity, a service for it, its client ID. Returns the new connection's
    /// record (null when refused, the reason code set on <paramref name="args"/>) and the same device's previous
    /// connection under that client ID, if one is still registered.
    /// </summary>
    private (MqttDeviceConnection? Connection, MqttDeviceConnection? Previous) Admit(ValidatingConnectionEventArgs args)
    {
        // The Kestrel transport hands MQTTnet a connection context; WebSocket connections come through its channel adapter.
        var name = args.ChannelAdapter is MqttKestrelChannel ? TcpName : WebSocketName;

        // Assigned first, whatever follows: MQTTnet refuses an empty MQTT 5 client ID with no assigned one as "client
        // identifier not valid", which would hide a refusal of the device itself.
        if (string.IsNullOrEmpty(args.ClientId) && args.ProtocolVersion == MqttProtocolVersion.V500)
        {
            args.AssignedClientIdentifier = Guid.NewGuid().ToString("N");
        }

        if (args.RemoteEndPoint is not IPEndPoint remote)
        {
            return Refused(args, name, "no_address", MqttConnectReasonCode.NotAuthorized, "-", "no source address");
        }

        var device = resolver.ResolveAddress(remote.Address);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(remote.Address))
            {
                LogRefused(logger, name, remote.Address.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            return Refused(args, name, RefusalTags.Refused(device.Refusal), MqttConnectReasonCode.NotAuthorized, null, null);
        }

        if (!pipeline.Serves(device, SourceProtocol.Mqtt))
        {
            return Refused(args, name, "no_service", MqttConnectReasonCode.NotAuthorized, device.Label, "no service of this device's group takes MQTT messages");
        }

        var clientId = string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            // MQTTnet refuses a 3.1.1 CONNECT without a client ID itself (identifier rejected).
            DeviceMetrics.Connection(name, "no_client_id");
            return default;
        }

        var owner = device.Subscriber!.IsAnonymous ? MqttDeviceConnection.AnonymousPrefix + remote.Address : device.Subscriber.Imsi;
        var connection = new MqttDeviceConnection(remote, args.ProtocolVersion, name, owner);

        // Add, or take over the same device's registration; compare-and-swap rather than AddOrUpdate, whose update
        // delegate would capture this call's locals (a closure and a delegate per CONNECT, garbage that stays in the
        // process's memory between the objects of the connections that live on).
        while (!_connections.TryAdd(clientId, connection))
        {
            if (!_connections.TryGetValue(clientId, out var existing))
            {
                continue;
            }

            if (existing.Owner != owner)
            {
                return Refused(args, name, "client_id_in_use", MqttConnectReasonCode.ClientIdentifierNotValid, device.Label, "client ID in use by another device");
            }

            if (_connections.TryUpdate(clientId, connection, existing))
            {
                return (connection, existing.IsClosed ? null : existing);
            }
        }

        return (connection, null);
    }

    /// <summary>
    /// Ends the same device's previous connection under this client ID, and waits until MQTTnet has cleaned it up,
    /// before the new one is admitted. MQTTnet's own takeover has a window: when the previous connection's loop has
    /// just ended (the device dropped it and reconnected at once), its clean-up removes "the client with this ID" and
    /// stops it — by then the new connection, which it closes right after its CONNACK. Retiring the old one first
    /// closes that window; if its clean-up takes longer than <see cref="PreviousConnectionGrace"/>, the new one is
    /// admitted anyway (MQTTnet's takeover then applies).
    /// </summary>
    private async Task RetirePreviousAsync(string clientId, MqttDeviceConnection previous, MqttDeviceConnection connection)
    {
        try
        {
            await _server!.DisconnectClientAsync(clientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });
        }
        catch (InvalidOperationException)
        {
            // Not (or no longer) among MQTTnet's clients: its clean-up is under way or done.
        }

        try
        {
            await previous.Closed.WaitAsync(PreviousConnectionGrace);
            DeviceMetrics.Connection(connection.EntryPoint, "replaced");
        }
        catch (TimeoutException)
        {
            DeviceMetrics.Connection(connection.EntryPoint, "replaced_slowly");
            LogSlowRetire(logger, connection.EntryPoint, connection.Owner, PreviousConnectionGrace.TotalSeconds);
        }
    }

    private (MqttDeviceConnection?, MqttDeviceConnection?) Refused(ValidatingConnectionEventArgs args, string name, string result, MqttConnectReasonCode code, string? label, string? reason)
    {
        // MQTTnet sends the 3.1.1 equivalent of the MQTT 5 code: not authorized 0x87 → 0x05, client ID 0x85 → 0x02.
        args.ReasonCode = code;
        args.ReasonString = reason;
        if (label is not null && reason is not null)
        {
            LogConnectRefused(logger, name, label, reason);
        }

        DeviceMetrics.Connection(name, result);
        return default;
    }

    /// <summary>
    /// Counted here, not at validation: MQTTnet reports the disconnect of every client it reported connected, and only
    /// of those, so each count is undone once. The owner is the IMSI (anonymous devices are not tracked).
    /// </summary>
    private Task ConnectedAsync(ClientConnectedEventArgs args)
    {
        if (args.SessionItems?[SessionKey] is MqttDeviceConnection { IsAnonymous: false } own)
        {
            sessions?.Connected(own.Owner);
        }

        return Task.CompletedTask;
    }

    private Task DisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        // On a takeover the client ID already belongs to the new connection (same device). MQTTnet also reports a
        // dropped connection only after its loop ended, by which time the device may have connected again under the
        // same ID: only the dropped connection's own registration is removed, never its successor's.
        if (args.SessionItems?[SessionKey] is not MqttDeviceConnection own)
        {
            return Task.CompletedTask;
        }

        if (args.DisconnectType != MqttClientDisconnectType.Takeover && args.ClientId is { } clientId)
        {
            // Removed only while it is still the registered one.
            _connections.TryRemove(KeyValuePair.Create(clientId, own));
        }

        if (own.MarkClosed() && !own.IsAnonymous)
        {
            sessions?.Disconnected(own.Owner);
        }

        return Task.CompletedTask;
    }

    private Task SubscribeAsync(InterceptingSubscriptionEventArgs args)
    {
        args.ProcessSubscription = false;
        args.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        args.Response.ReasonString = "this endpoint delivers messages to services; it has nothing to subscribe to";
        var name = _connections.TryGetValue(args.ClientId, out var c) ? c.EntryPoint : TcpName;
        DeviceMetrics.Count(name, "subscribe_refused");
        return Task.CompletedTask;
    }

    private async Task PublishAsync(InterceptingPublishEventArgs args)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Never routed to subscribers nor retained: this endpoint is not a broker.
        args.ProcessPublish = false;
        var qos = args.ApplicationMessage.QualityOfServiceLevel;
        var connection = args.SessionItems?[SessionKey] as MqttDeviceConnection
            ?? (_connections.TryGetValue(args.ClientId, out var registered) ? registered : null);
        if (connection is null)
        {
            args.CloseConnection = true;
            return;
        }

        var device = resolver.ResolveAddress(connection.Source.Address);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(connection.Source.Address))
            {
                LogRefused(logger, connection.EntryPoint, connection.Source.Address.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            Fail(args, connection, RefusalTags.Refused(device.Refusal), MqttPubAckReasonCode.NotAuthorized, "device not recognised");
            return;
        }

        var message = new DeviceMessage
        {
            Device = device,
            Protocol = SourceProtocol.Mqtt,
            EntryPoint = connection.EntryPoint,
            Source = connection.Source,
            // A copy: MQTTnet reuses the packet's buffer once this handler returns.
            Payload = args.ApplicationMessage.Payload.ToArray(),
            ReceivedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Topic = args.ApplicationMessage.Topic,
            Qos = (int)qos,
        };

        // Awaited here, so MQTTnet sends the PUBACK/PUBREC only after the services answered. MQTTnet reads a
        // connection's packets one after another, so one client has one message in delivery at a time.
        var result = await pipeline.ProcessAsync(message, args.CancellationToken);

        // The acknowledgement follows as soon as this returns: the time to it is the pipeline's.
        if (!result.IsEmpty)
        {
            DeviceMetrics.RequestDuration(connection.EntryPoint, started);
        }

        if (result.IsEmpty)
        {
            Fail(args, connection, "no_service", MqttPubAckReasonCode.NotAuthorized, "no service of this device's group takes MQTT messages");
        }
        else if (result.AllSucceeded)
        {
            DeviceMetrics.Count(connection.EntryPoint, "ok");
        }
        else
        {
            var failed = result.Results.First(static r => !r.Succeeded);
            var reason = failed.Failure ?? $"{failed.Service}: {failed.Status}";
            LogDeliveryFailed(logger, connection.EntryPoint, device.Label, args.ApplicationMessage.Topic, (int)qos, reason);
            Fail(args, connection, "failed", ReasonCodeFor(failed.Status), reason);
        }
    }

    /// <summary>
    /// Refuses one PUBLISH: on MQTT 5 with a failure reason code in the PUBACK or PUBREC; on 3.1.1, where any PUBACK
    /// means "delivered", by closing the connection without one (QoS 1/2), so the client keeps the message and sends
    /// it again after reconnecting. QoS 0 has no acknowledgement to withhold: it is counted and logged only.
    /// </summary>
    private static void Fail(InterceptingPublishEventArgs args, MqttDeviceConnection connection, string result, MqttPubAckReasonCode code, string reason)
    {
        DeviceMetrics.Count(connection.EntryPoint, result);
        if (connection.Version == MqttProtocolVersion.V500)
        {
            args.Response.ReasonCode = code;
            args.Response.ReasonString = reason;
        }
        else if (args.ApplicationMessage.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce)
        {
            args.CloseConnection = true;
        }
    }

    /// <summary>The MQTT 5 reason code closest to a service's HTTP-style failure status.</summary>
    internal static MqttPubAckReasonCode ReasonCodeFor(int status) => status switch
    {
        400 or 415 or 422 => MqttPubAckReasonCode.PayloadFormatInvalid,
        413 or 429 or 503 => MqttPubAckReasonCode.QuotaExceeded,
        401 or 403 => MqttPubAckReasonCode.NotAuthorized,
        _ => MqttPubAckReasonCode.UnspecifiedError,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: refused {RemoteAddress} ({Refusal}, subscriber {Imsi})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string remoteAddress, RefusalReason refusal, string? imsi);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: the previous connection of {Owner} under the same client ID was not cleaned up within {Seconds} s; the new one is admitted anyway")]
    private static partial void LogSlowRetire(ILogger logger, string entryPoint, string owner, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: refused the CONNECT of {Device}: {Reason}")]
    private static partial void LogConnectRefused(ILogger logger, string entryPoint, string device, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: subscriber {Imsi}, topic {Topic}, QoS {Qos}: not delivered ({Reason}); not acknowledged")]
    private static partial void LogDeliveryFailed(ILogger logger, string entryPoint, string imsi, string topic, int qos, string reason);
}
