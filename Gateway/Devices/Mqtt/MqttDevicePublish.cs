using System.Buffers;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// A device's PUBLISH (§3.3): its topic, QoS, packet identifier and payload. The payload is a slice of the connection's
/// read buffer, valid until the reader is advanced past the packet (after delivery), so it is not copied.
/// </summary>
internal readonly struct MqttDevicePublish
{
    public required string Topic { get; init; }

    public required ReadOnlySequence<byte> Payload { get; init; }

    public int Qos { get; init; }

    public bool Duplicate { get; init; }

    /// <summary>0 for QoS 0, which has none.</summary>
    public ushort PacketId { get; init; }

    /// <summary>A topic name a device may publish to: not empty, no wildcard (§4.7.1.1, §4.7.3).</summary>
    public static bool IsTopicName(string topic) => topic.Length > 0 && topic.AsSpan().IndexOfAny('+', '#') < 0;

    /// <summary>Reads a PUBLISH's variable header and payload (<paramref name="body"/>), with its fixed-header flags in <paramref name="first"/>.</summary>
    public static MqttParseStatus Parse(byte first, in ReadOnlySequence<byte> body, bool v5, out MqttDevicePublish publish)
    {
        publish = default;
        var qos = (first >> 1) & 0x03;
        var duplicate = (first & 0x08) != 0;

        // QoS 3 is malformed (§3.3.1-4), and so is DUP on QoS 0 (§3.3.1-2).
        if (qos == 3 || (qos == 0 && duplicate))
        {
            return MqttParseStatus.Malformed;
        }

        var reader = new SequenceReader<byte>(body);
        if (MqttFields.TryReadString(ref reader, out var topic) != MqttParseStatus.Ok)
        {
            return MqttParseStatus.Malformed;
        }

        ushort packetId = 0;
        var idRead = qos > 0 ? MqttFields.TryReadPacketId(ref reader, out packetId) : MqttParseStatus.Ok;
        if (idRead != MqttParseStatus.Ok)
        {
            return idRead;
        }

        if (v5)
        {
            var read = MqttProperties.Read(ref reader, MqttProperties.InPublish, out var properties);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }

            if (properties.HasTopicAlias)
            {
                return MqttParseStatus.TopicAliasInvalid;
            }
        }

        if (!IsTopicName(topic))
        {
            return MqttParseStatus.TopicNameInvalid;
        }

        publish = new MqttDevicePublish
        {
            Topic = topic,
            Payload = reader.UnreadSequence,
            Qos = qos,
            Duplicate = duplicate,
            PacketId = packetId,
        };
        return MqttParseStatus.Ok;
    }
}
