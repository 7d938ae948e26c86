using System.Buffers;
using Gateway.Beam.Mqtt;
using Gateway.Devices.Mqtt;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The MQTT pipeline endpoint's packet readers (:1884): CONNECT, PUBLISH, SUBSCRIBE/UNSUBSCRIBE, PUBREL and DISCONNECT,
/// each read as MQTT 3.1.1 and as MQTT 5. Contract: never throws, and the verdict and what is read are the same
/// however the packet is split into segments (a field may straddle the pipe's buffers).
/// </summary>
internal sealed class MqttEndpointTarget : IParserTarget
{
    public string Name => "mqtt-endpoint";

    public string Description => "MQTT pipeline endpoint packet readers (MqttDeviceConnect, MqttDevicePublish, MqttControlPackets), whole against split";

    public IReadOnlyList<byte[]> Samples => MqttSamples.All;

    public IReadOnlyList<byte[]> Tokens => MqttSamples.Tokens;

    public int MaxInputBytes => 64 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var hash = new InputHash(input);
        var whole = new ReadOnlySequence<byte>(input);
        if (MqttFrame.TryReadHeader(whole, out var first, out var headerLength, out var remaining) != MqttFrameStatus.Packet || input.Length < headerLength + remaining)
        {
            return;
        }

        var body = input.AsMemory(headerLength, remaining).ToArray();
        foreach (var v5 in new[] { false, true })
        {
            var one = Read(first, new ReadOnlySequence<byte>(body), v5);
            var many = Read(first, Segments.Split(body, ref hash), v5);
            InvariantException.Check(one == many, $"one segment reads {one}, several read {many}");
        }
    }

    /// <summary>What a reader made of the packet, as text to compare.</summary>
    private static string Read(byte first, ReadOnlySequence<byte> body, bool v5)
    {
        switch (first >> 4)
        {
            case 1:
                var connect = MqttDeviceConnect.Parse(first, body, out var c);
                return c is null ? $"{connect}" : $"{connect} {c.Level} {c.ClientId} {c.KeepAliveSeconds} {c.CleanStart} {c.Will?.Topic} {c.Will?.Payload.Length} {c.ReasonStrings} {c.MaxPacketSize}";
            case 3:
                var publish = MqttDevicePublish.Parse(first, body, v5, out var p);
                return publish == MqttParseStatus.Ok ? $"{publish} {p.Topic} {p.Qos} {p.PacketId} {Convert.ToHexString(p.Payload.ToArray())}" : $"{publish}";
            case 6:
                return $"{MqttControlPackets.ParsePubRel(body, v5, out var id)} {id}";
            case 8 or 10:
                return $"{MqttControlPackets.ParseSubscription(first, body, v5, out var packetId, out var filters)} {packetId} {filters}";
            case 14:
                return $"{MqttControlPackets.ParseDisconnect(body, v5, out var reason)} {reason}";
            default:
                return "";
        }
    }
}
