using System.Buffers;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// The client packets other than CONNECT and PUBLISH that the pipeline endpoint answers: SUBSCRIBE and UNSUBSCRIBE
/// (refused, but their form checked and their filters counted for the acknowledgement), PUBREL (QoS 2's second
/// step), DISCONNECT and PINGREQ. Fixed-header flags are checked as §2.2.2 fixes them.
/// </summary>
internal static class MqttControlPackets
{
    public const byte Subscribe = 0x82;
    public const byte Unsubscribe = 0xA2;
    public const byte PubRel = 0x62;
    public const byte PingReq = 0xC0;
    public const byte Disconnect = 0xE0;

    /// <summary>MQTT 5 DISCONNECT reason "disconnect with will message" (§3.14.2.1): the will is published all the same.</summary>
    public const byte DisconnectWithWill = 0x04;

    /// <summary>SUBSCRIBE or UNSUBSCRIBE (by <paramref name="first"/>): its identifier and how many topic filters it names.</summary>
    public static MqttParseStatus ParseSubscription(byte first, in ReadOnlySequence<byte> body, bool v5, out ushort packetId, out int filters)
    {
        packetId = 0;
        filters = 0;
        var subscribe = first == Subscribe;
        var reader = new SequenceReader<byte>(body);
        var idRead = MqttFields.TryReadPacketId(ref reader, out packetId);
        if (idRead != MqttParseStatus.Ok)
        {
            return idRead;
        }

        if (v5)
        {
            var read = MqttProperties.Read(ref reader, subscribe ? MqttProperties.InSubscribe : MqttProperties.InUnsubscribe, out _);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }
        }

        while (!reader.End)
        {
            if (MqttFields.SkipString(ref reader) != MqttParseStatus.Ok)
            {
                return MqttParseStatus.Malformed;
            }

            // Subscription options (§3.8.3.1): QoS 0–2; before MQTT 5 the other bits are reserved, on 5 the top two are
            // and retain handling 3 is not defined.
            if (subscribe && (!reader.TryRead(out var options) || (options & 0x03) == 3 || (v5 ? (options & 0xC0) != 0 || (options & 0x30) == 0x30 : (options & 0xFC) != 0)))
            {
                return MqttParseStatus.Malformed;
            }

            filters++;
        }

        // At least one filter (§3.8.3-3, §3.10.3-2).
        return filters == 0 ? MqttParseStatus.ProtocolError : MqttParseStatus.Ok;
    }

    /// <summary>PUBREL: the identifier of the QoS 2 message it releases (MQTT 5 may add a reason code and properties).</summary>
    public static MqttParseStatus ParsePubRel(in ReadOnlySequence<byte> body, bool v5, out ushort packetId)
    {
        packetId = 0;
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryReadBigEndian(out short id))
        {
            return MqttParseStatus.Malformed;
        }

        packetId = (ushort)id;
        if (v5 && reader.TryRead(out var reason))
        {
            // 0x00 success or 0x92 packet identifier not found (§3.6.2.1).
            if (reason is not (0x00 or 0x92))
            {
                return MqttParseStatus.ProtocolError;
            }

            if (!reader.End)
            {
                var read = MqttProperties.Read(ref reader, MqttProperties.InPubRel, out _);
                if (read != MqttParseStatus.Ok)
                {
                    return read;
                }
            }
        }

        return reader.End ? MqttParseStatus.Ok : MqttParseStatus.Malformed;
    }

    /// <summary>DISCONNECT: its reason code (MQTT 5; 0 when absent or before 5).</summary>
    public static MqttParseStatus ParseDisconnect(in ReadOnlySequence<byte> body, bool v5, out byte reason)
    {
        reason = 0;
        var reader = new SequenceReader<byte>(body);
        if (v5 && reader.TryRead(out reason) && !reader.End)
        {
            var read = MqttProperties.Read(ref reader, MqttProperties.InDisconnect, out _);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }
        }

        return reader.End ? MqttParseStatus.Ok : MqttParseStatus.Malformed;
    }
}
