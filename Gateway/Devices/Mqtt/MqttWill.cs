using System.Buffers;

namespace Gateway.Devices.Mqtt;

/// <summary>A CONNECT's will (§3.1.3.2-4): the message the device wants published if it drops without DISCONNECT.</summary>
internal sealed class MqttWill(string topic, byte[] payload, byte qos)
{
    public string Topic { get; } = topic;

    public byte[] Payload { get; } = payload;

    public byte Qos { get; } = qos;

    /// <summary>Reads the will's properties (MQTT 5), topic and payload.</summary>
    public static MqttParseStatus Read(ref SequenceReader<byte> reader, bool v5, byte qos, out MqttWill? will)
    {
        will = null;
        if (v5)
        {
            var read = MqttProperties.Read(ref reader, MqttProperties.InWill, out _);
            if (read != MqttParseStatus.Ok)
            {
                return read;
            }
        }

        if (MqttFields.TryReadString(ref reader, out var topic) != MqttParseStatus.Ok || !MqttFields.TryReadBinary(ref reader, out var payload))
        {
            return MqttParseStatus.Malformed;
        }

        // A will topic is a topic name like a PUBLISH's (§3.1.3.3): no wildcards, not empty.
        if (!MqttDevicePublish.IsTopicName(topic))
        {
            return MqttParseStatus.TopicNameInvalid;
        }

        will = new MqttWill(topic, payload, qos);
        return MqttParseStatus.Ok;
    }
}
