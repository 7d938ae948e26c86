using System.Buffers;
using Gateway.Devices;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The fixed-header check in front of MQTTnet's decoder on the MQTT endpoint (:1884, <see cref="MqttPacketLimit"/>):
/// the only code of ours on that path, since MQTTnet parses the packets themselves (MQTTnet is not fed here).
/// Contract: never throws, and the verdict on a buffer's first packet is the same however the buffer is split into
/// segments, and for every prefix that holds the whole fixed header.
/// </summary>
internal sealed class MqttEndpointLimitTarget : IParserTarget
{
    public string Name => "mqtt-endpoint";

    public string Description => "MQTT endpoint packet-size check in front of MQTTnet (MqttPacketLimit.AnnouncesTooMuch), whole against split";

    public IReadOnlyList<byte[]> Samples => MqttSamples.All;

    public IReadOnlyList<byte[]> Tokens => MqttSamples.Tokens;

    public int MaxInputBytes => 64 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var hash = new InputHash(input);
        foreach (var max in new[] { MqttPacketLimit.MaxPacketBytes, 64 })
        {
            // A small limit as well, so that the refusal path runs.
            var whole = MqttPacketLimit.AnnouncesTooMuch(new ReadOnlySequence<byte>(input), max);
            var split = MqttPacketLimit.AnnouncesTooMuch(Segments.Split(input, ref hash), max);
            InvariantException.Check(whole == split, $"one segment says {whole}, several say {split}");

            // A fixed header is at most five bytes: from there on, more bytes never change the verdict.
            var prefix = Math.Min(input.Length, 5);
            var early = MqttPacketLimit.AnnouncesTooMuch(Segments.Split(input[..prefix], ref hash), max);
            InvariantException.Check(!early || whole, "a prefix is refused, the whole buffer is not");
        }
    }
}
