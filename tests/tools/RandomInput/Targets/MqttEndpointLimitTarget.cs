using System.Buffers;
using Gateway.Devices;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The fixed-header reader in front of MQTTnet on the MQTT endpoint (:1884, <see cref="MqttPacketLimit"/>): the only
/// code of ours on that path, since MQTTnet parses the packets themselves (MQTTnet is not fed here). Contract: never
/// throws, and the same stream split into any reads gives the same verdict as in one read.
/// </summary>
internal sealed class MqttEndpointLimitTarget : IParserTarget
{
    public string Name => "mqtt-endpoint";

    public string Description => "MQTT endpoint packet-size guard in front of MQTTnet (MqttPacketLimit.Framing), whole against split";

    public IReadOnlyList<byte[]> Samples => MqttSamples.All;

    public IReadOnlyList<byte[]> Tokens => MqttSamples.Tokens;

    public int MaxInputBytes => 64 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var whole = new MqttPacketLimit.Framing().Accept(new ReadOnlySequence<byte>(input), MqttPacketLimit.MaxPacketBytes);

        // The same bytes over several reads, each read a multi-segment sequence, the framing state carried over.
        var hash = new InputHash(input);
        var framing = new MqttPacketLimit.Framing();
        var split = true;
        for (var at = 0; at < input.Length && split;)
        {
            var length = Math.Min(input.Length - at, 1 + hash.Next(hash.Next(2) == 0 ? 4 : input.Length));
            split = framing.Accept(Segments.Split(input[at..(at + length)], ref hash), MqttPacketLimit.MaxPacketBytes);
            at += length;
        }

        InvariantException.Check(whole == split, $"one read says {whole}, several say {split}");

        // A small limit, so that the refusal path runs as well.
        _ = new MqttPacketLimit.Framing().Accept(Segments.Split(input, ref hash), 64);
    }
}
