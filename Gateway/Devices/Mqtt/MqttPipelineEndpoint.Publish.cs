using System.Buffers;
using System.Diagnostics;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Devices.Mqtt;

/// <summary>PUBLISH into the pipeline, the acknowledgement after it, and the will.</summary>
internal sealed partial class MqttPipelineEndpoint
{
    /// <summary>
    /// Delivers one PUBLISH and acknowledges it after the services answered: PUBACK (QoS 1), PUBREC (QoS 2, and the
    /// identifier is held until PUBREL, so a copy sent again meanwhile is acknowledged without being delivered twice).
    /// The device is resolved again from its address, so a registry change applies to its next message.
    /// </summary>
    private async ValueTask<Step> PublishAsync(MqttDeviceSession session, MqttDevicePublish publish)
    {
        var started = Stopwatch.GetTimestamp();
        var device = _resolver.ResolveAddress(session.Source.Address);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(session.Source.Address))
            {
                LogRefused(_logger, session.EntryPoint, session.Source.Address.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            return await FailAsync(session, publish, RefusalTags.Refused(device.Refusal), NotAuthorized, "device not recognised");
        }

        if (publish.Qos == 2 && session.IsAwaitingRelease(publish.PacketId))
        {
            MqttAcks.Ack(session.Output, MqttAcks.PubRec, publish.PacketId);
            return await FlushAsync(session);
        }

        var result = await DeliverAsync(session, device, publish.Topic, publish.Payload, publish.Qos);

        // The acknowledgement follows as soon as this returns: the time to it is the pipeline's.
        if (!result.IsEmpty)
        {
            DeviceMetrics.RequestDuration(session.EntryPoint, started);
        }

        if (result.IsEmpty)
        {
            return await FailAsync(session, publish, "no_service", NotAuthorized, "no service of this device's group takes MQTT messages");
        }

        if (!result.AllSucceeded)
        {
            var (status, reason) = FirstFailure(result);
            LogDeliveryFailed(_logger, session.EntryPoint, device.Label, publish.Topic, publish.Qos, reason);
            return await FailAsync(session, publish, "failed", ReasonCodeFor(status), reason);
        }

        DeviceMetrics.Count(session.EntryPoint, "ok");
        if (publish.Qos == 0)
        {
            return Step.Continue;
        }

        if (publish.Qos == 2)
        {
            session.AwaitRelease(publish.PacketId);
        }

        MqttAcks.Ack(session.Output, publish.Qos == 1 ? MqttAcks.PubAck : MqttAcks.PubRec, publish.PacketId);
        return await FlushAsync(session);
    }

    /// <summary>
    /// One message through the pipeline. The payload lies in the connection's read buffer, which stays as it is until
    /// the packet is handled; when it spans the buffer's segments it is gathered into a pooled array for the time of delivery.
    /// </summary>
    private async ValueTask<PipelineResult> DeliverAsync(MqttDeviceSession session, DeviceIdentity device, string topic, ReadOnlySequence<byte> payload, int qos)
    {
        byte[]? rented = null;
        ReadOnlyMemory<byte> bytes;
        if (payload.IsSingleSegment)
        {
            bytes = payload.First;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
            payload.CopyTo(rented);
            bytes = rented.AsMemory(0, (int)payload.Length);
        }

        var message = new DeviceMessage
        {
            Device = device,
            Protocol = SourceProtocol.Mqtt,
            EntryPoint = session.EntryPoint,
            Source = session.Source,
            Payload = bytes,
            ReceivedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            Topic = topic,
            Qos = qos,
        };

        session.Busy();
        try
        {
            return await _pipeline.ProcessAsync(message, CancellationToken.None);
        }
        finally
        {
            session.Touch();
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Refuses one PUBLISH: on MQTT 5 with a failure reason code in the PUBACK or PUBREC; on 3.1.1, where any PUBACK
    /// means "delivered", by closing the connection without one (QoS 1/2), so the client keeps the message and sends
    /// it again after reconnecting (its will is not published: the device is not gone). QoS 0 has no acknowledgement
    /// to withhold: it is counted and logged only.
    /// </summary>
    private static ValueTask<Step> FailAsync(MqttDeviceSession session, MqttDevicePublish publish, string result, byte code, string reason)
    {
        DeviceMetrics.Count(session.EntryPoint, result);
        if (publish.Qos == 0)
        {
            return ValueTask.FromResult(Step.Continue);
        }

        if (!session.IsV5)
        {
            return ValueTask.FromResult(Step.Close);
        }

        MqttAcks.Ack(session.Output, publish.Qos == 1 ? MqttAcks.PubAck : MqttAcks.PubRec, publish.PacketId, code, reason, session.Connect);
        return FlushAsync(session);
    }

    /// <summary>
    /// The will of a device that dropped (or broke the protocol, or went silent past its keepalive) becomes a device
    /// message of its topic. Nobody is left to acknowledge it: a failure is logged and counted only.
    /// </summary>
    private async Task PublishWillAsync(MqttDeviceSession session, MqttWill will)
    {
        var device = _resolver.ResolveAddress(session.Source.Address);
        if (!device.IsKnown)
        {
            DeviceMetrics.Count(session.EntryPoint, RefusalTags.Refused(device.Refusal));
            return;
        }

        var result = await DeliverAsync(session, device, will.Topic, new ReadOnlySequence<byte>(will.Payload), will.Qos);
        if (result.IsEmpty)
        {
            DeviceMetrics.Count(session.EntryPoint, "no_service");
        }
        else if (result.AllSucceeded)
        {
            DeviceMetrics.Count(session.EntryPoint, "ok");
        }
        else
        {
            DeviceMetrics.Count(session.EntryPoint, "failed");
            LogDeliveryFailed(_logger, session.EntryPoint, device.Label, will.Topic, will.Qos, FirstFailure(result).Reason);
        }
    }

    /// <summary>The first service that failed: its status, and its failure as the acknowledgement's reason string and the log's.</summary>
    private static (int Status, string Reason) FirstFailure(PipelineResult result)
    {
        foreach (var r in result.Results)
        {
            if (!r.Succeeded)
            {
                return (r.Status, r.Failure ?? $"{r.Service}: {r.Status}");
            }
        }

        return (result.Results[0].Status, "");
    }

    /// <summary>The MQTT 5 reason code closest to a service's HTTP-style failure status.</summary>
    internal static byte ReasonCodeFor(int status) => status switch
    {
        400 or 415 or 422 => 0x99, // payload format invalid
        413 or 429 or 503 => 0x97, // quota exceeded
        401 or 403 => NotAuthorized,
        _ => 0x80, // unspecified error
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: subscriber {Imsi}, topic {Topic}, QoS {Qos}: not delivered ({Reason}); not acknowledged")]
    private static partial void LogDeliveryFailed(ILogger logger, string entryPoint, string imsi, string topic, int qos, string reason);
}
