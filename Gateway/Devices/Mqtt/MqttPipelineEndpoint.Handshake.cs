using System.Buffers;
using Gateway.Beam.Mqtt;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Devices.Mqtt;

/// <summary>The CONNECT: reading it, deciding on it, answering it.</summary>
internal sealed partial class MqttPipelineEndpoint
{
    // MQTT 5 CONNACK reason codes (§3.2.2.2) and the 3.1.1 return code each maps to (§3.2.2.3).
    private const byte NotAuthorized = 0x87;
    private const byte ClientIdentifierNotValid = 0x85;
    private const byte BadAuthenticationMethod = 0x8C;
    private const byte ServerUnavailable = 0x88;

    /// <summary>
    /// Reads the CONNECT and answers it; true when the device was admitted (CONNACK 0 sent), false when it was refused
    /// or never sent a valid CONNECT (closed, with the refusal's CONNACK where there is one).
    /// </summary>
    private async ValueTask<bool> HandshakeAsync(MqttDeviceSession session)
    {
        var connect = await ReadConnectAsync(session);
        if (connect is null)
        {
            return false;
        }

        var (refusal, previous) = _isStopping ? (Refuse(connect, session.EntryPoint, "stopping", ServerUnavailable, null, null), null) : Admit(session, connect);
        if (refusal is not null)
        {
            session.Output.Write(refusal);
            await session.Output.FlushAsync();
            return false;
        }

        if (previous is not null)
        {
            await RetirePreviousAsync(previous, session);
        }

        session.Output.Write(MqttAcks.ConnAck(connect.IsV5, 0, connect.ClientId.Length == 0 ? session.ClientId : null));
        if ((await session.Output.FlushAsync()).IsCanceled)
        {
            return false;
        }

        session.Opened();
        DeviceMetrics.Connection(session.EntryPoint, "ok");
        if (!session.IsAnonymous)
        {
            _sessions?.Connected(session.Owner);
        }

        // Registered as the host began stopping, after it ended every connection it knew.
        if (_isStopping)
        {
            session.End(0x8B);
        }

        return true;
    }

    /// <summary>
    /// The first packet, which must be a CONNECT (§3.1), within <see cref="ConnectTimeout"/>. Null when it was not
    /// (anything else, HTTP or TLS included, is refused on its first byte), or was refused for its protocol level.
    /// </summary>
    private async ValueTask<MqttDeviceConnect?> ReadConnectAsync(MqttDeviceSession session)
    {
        var input = session.Input;
        while (true)
        {
            var read = await input.ReadAsync();
            var buffer = read.Buffer;
            if (read.IsCanceled || (!buffer.IsEmpty && buffer.FirstSpan[0] != 0x10))
            {
                input.AdvanceTo(buffer.End);
                return NoConnect(session, read.IsCanceled ? "no CONNECT in time" : "first packet not a CONNECT");
            }

            var frame = MqttPacketLimit.TryRead(buffer, out var first, out var headerLength, out var remaining);
            if (frame is MqttFrameStatus.Malformed or MqttFrameStatus.TooLarge)
            {
                input.AdvanceTo(buffer.End);
                return NoConnect(session, frame == MqttFrameStatus.Malformed ? "malformed CONNECT" : "CONNECT over the packet-size limit");
            }

            if (frame == MqttFrameStatus.Packet)
            {
                var status = MqttDeviceConnect.Parse(first, buffer.Slice(headerLength, remaining), out var connect);
                input.AdvanceTo(buffer.GetPosition(headerLength + remaining));
                return status switch
                {
                    MqttParseStatus.Ok => connect,
                    MqttParseStatus.UnsupportedProtocolVersion => await UnsupportedAsync(session),
                    _ => NoConnect(session, "malformed CONNECT"),
                };
            }

            if (read.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return buffer.IsEmpty ? null : NoConnect(session, "connection closed within its CONNECT");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>No CONNACK: nothing said the peer speaks MQTT at all (§3.1.4-1: close without one).</summary>
    private MqttDeviceConnect? NoConnect(MqttDeviceSession session, string problem)
    {
        DeviceMetrics.Connection(session.EntryPoint, "malformed_connect");
        if (_broken.Allow(session.Source.Address))
        {
            LogProtocolError(_logger, session.EntryPoint, session.Source.ToString(), "-", problem);
        }

        return null;
    }

    /// <summary>A level other than 3, 4 and 5: CONNACK 0x01 unacceptable protocol version, 3.1.1's form, which every version reads (§3.1.2.2).</summary>
    private static async ValueTask<MqttDeviceConnect?> UnsupportedAsync(MqttDeviceSession session)
    {
        DeviceMetrics.Connection(session.EntryPoint, "unsupported_protocol");
        session.Output.Write(MqttAcks.ConnAck(v5: false, 0x01));
        await session.Output.FlushAsync();
        return null;
    }

    /// <summary>
    /// Decides on a CONNECT: the device's identity, a service for it, its client ID. Returns the refusal's CONNACK
    /// (null when admitted: the session then holds its client ID and owner) and the same device's previous connection
    /// under that client ID, if one is still open.
    /// </summary>
    private (byte[]? Refusal, MqttDeviceSession? Previous) Admit(MqttDeviceSession session, MqttDeviceConnect connect)
    {
        var name = session.EntryPoint;
        var address = session.Source.Address;
        var device = _resolver.ResolveAddress(address);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(address))
            {
                LogRefused(_logger, name, address.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            return (Refuse(connect, name, RefusalTags.Refused(device.Refusal), NotAuthorized, null, null), null);
        }

        if (!_pipeline.Serves(device, SourceProtocol.Mqtt))
        {
            return (Refuse(connect, name, "no_service", NotAuthorized, device.Label, "no service of this device's group takes MQTT messages"), null);
        }

        if (connect.HasAuthenticationMethod)
        {
            return (Refuse(connect, name, "bad_authentication_method", BadAuthenticationMethod, device.Label, "extended authentication is not offered; the device is known by its address"), null);
        }

        // No client ID: MQTT 5 gets one assigned (and told in the CONNACK), 3.1.1 too when it asked for a clean session
        // (§3.1.3-6); a 3.1.1 session to resume needs an ID of its own (§3.1.3-8, identifier rejected).
        var clientId = connect.ClientId;
        if (clientId.Length == 0)
        {
            if (!connect.IsV5 && !connect.CleanStart)
            {
                return (Refuse(connect, name, "no_client_id", ClientIdentifierNotValid, device.Label, "no client ID, and not a clean session"), null);
            }

            clientId = Guid.NewGuid().ToString("N");
        }

        var owner = device.Subscriber!.IsAnonymous ? MqttDeviceSession.AnonymousPrefix + address : device.Subscriber.Imsi;
        session.Admitted(connect, clientId, owner);

        // Add, or take over the same device's registration; compare-and-swap rather than AddOrUpdate, whose update
        // delegate would capture this call's locals (a closure and a delegate per CONNECT, garbage that stays in the
        // process's memory between the objects of the connections that live on).
        while (!_connections.TryAdd(clientId, session))
        {
            if (!_connections.TryGetValue(clientId, out var existing))
            {
                continue;
            }

            if (existing.Owner != owner)
            {
                return (Refuse(connect, name, "client_id_in_use", ClientIdentifierNotValid, device.Label, "client ID in use by another device"), null);
            }

            if (_connections.TryUpdate(clientId, session, existing))
            {
                return (null, existing.IsClosed ? null : existing);
            }
        }

        return (null, null);
    }

    /// <summary>The refusal's CONNACK in the device's version: 0x87 → 0x05 not authorized, 0x85 → 0x02 identifier rejected, 0x88 → 0x03 server unavailable.</summary>
    private byte[] Refuse(MqttDeviceConnect connect, string name, string result, byte code, string? label, string? reason)
    {
        if (label is not null && reason is not null)
        {
            LogConnectRefused(_logger, name, label, reason);
        }

        DeviceMetrics.Connection(name, result);
        return connect.IsV5
            ? MqttAcks.ConnAck(v5: true, code, reason: connect.ReasonStrings ? reason : null)
            : MqttAcks.ConnAck(v5: false, code switch { ClientIdentifierNotValid => 0x02, ServerUnavailable => 0x03, _ => 0x05 });
    }

    /// <summary>
    /// Ends the same device's previous connection under this client ID (MQTT 5: DISCONNECT 0x8E session taken over)
    /// and waits for it to close before the new one is answered, so the device never has two connections delivering
    /// at once. One whose delivery outlasts <see cref="PreviousConnectionGrace"/> is left to finish alone.
    /// </summary>
    private async Task RetirePreviousAsync(MqttDeviceSession previous, MqttDeviceSession session)
    {
        previous.End(0x8E);
        try
        {
            await previous.Closed.WaitAsync(PreviousConnectionGrace);
            DeviceMetrics.Connection(session.EntryPoint, "replaced");
        }
        catch (TimeoutException)
        {
            DeviceMetrics.Connection(session.EntryPoint, "replaced_slowly");
            LogSlowRetire(_logger, session.EntryPoint, session.Owner, PreviousConnectionGrace.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: refused {RemoteAddress} ({Refusal}, subscriber {Imsi})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string remoteAddress, RefusalReason refusal, string? imsi);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: the previous connection of {Owner} under the same client ID did not close within {Seconds} s; the new one is admitted anyway")]
    private static partial void LogSlowRetire(ILogger logger, string entryPoint, string owner, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: refused the CONNECT of {Device}: {Reason}")]
    private static partial void LogConnectRefused(ILogger logger, string entryPoint, string device, string reason);
}
