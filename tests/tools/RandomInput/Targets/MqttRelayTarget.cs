using System.Buffers;
using System.Buffers.Binary;
using Gateway.Beam.Mqtt;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The MQTT relay's own codec (:1883), fed a device's byte stream as <c>MqttConnectionHandler</c> reads it: the first
/// packet framed with <see cref="MqttFrame.TryRead"/> and parsed by <see cref="MqttConnect.Parse"/>, the rest framed
/// header by header with PUBLISH topics rewritten by <see cref="MqttPublish"/>. Bytes arrive split into segments.
/// Contract: nothing throws; a CONNECT that parses re-encodes (with the device's or the gateway's credentials) to a
/// CONNECT that parses to the same fields; a rewritten PUBLISH is a PUBLISH whose topic is the old one plus the suffix.
/// </summary>
internal sealed class MqttRelayTarget : IParserTarget
{
    private static readonly byte[] Suffix = "/001010000000001"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _output = new();

    public string Name => "mqtt";

    public string Description => "MQTT relay fixed headers, CONNECT (parse and re-encode), PUBLISH topic rewriting";

    public IReadOnlyList<byte[]> Samples => MqttSamples.All;

    public IReadOnlyList<byte[]> Tokens => MqttSamples.Tokens;

    public int MaxInputBytes => 64 * 1024;

    public byte[] Shape(byte[] input, Random random)
    {
        // Half the time the first packet's remaining length is made true, so that the CONNECT parser runs.
        if (random.Next(2) != 0 || input.Length < 2)
        {
            return input;
        }

        var header = 1;
        while (header < Math.Min(input.Length, 5) && (input[header] & 0x80) != 0)
        {
            header++;
        }

        return MqttSamples.Packet(input[0], input.AsSpan(Math.Min(header + 1, input.Length)));
    }

    public void Run(byte[] input)
    {
        var hash = new InputHash(input);
        var buffer = Segments.Split(input, ref hash);
        var status = MqttFrame.TryRead(buffer, MqttConnectionHandler.MaxConnectBytes, out var first, out var headerLength, out var remainingLength);
        CheckFrame(buffer, status, headerLength, remainingLength);
        if (status != MqttFrameStatus.Packet || first != MqttFrame.Connect << 4)
        {
            return;
        }

        var packet = buffer.Slice(0, headerLength + remainingLength);
        if (MqttConnect.Parse(packet, out var connect) == ConnectParseStatus.Ok)
        {
            RoundTrip(connect!, connect!.UserName, connect.Password);
            RoundTrip(connect, "gateway-user"u8.ToArray(), "gateway-password"u8.ToArray());
        }

        Relay(buffer.Slice(packet.End));
    }

    /// <summary>The device-to-upstream pump after CONNECT: header by header, bodies passed through.</summary>
    private void Relay(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var status = MqttFrame.TryReadHeader(buffer, out var first, out var headerLength, out var remainingLength);
            CheckHeader(status, headerLength, remainingLength);
            if (status != MqttFrameStatus.Packet || first >> 4 == MqttFrame.Connect)
            {
                return;
            }

            var consumed = headerLength;
            if (first >> 4 == MqttFrame.Publish)
            {
                _output.ResetWrittenCount();
                status = MqttPublish.TryWriteHeadWithTopicSuffix(buffer, headerLength, remainingLength, Suffix, _output, out consumed);
                if (status != MqttFrameStatus.Packet)
                {
                    return;
                }

                CheckRewrite(buffer, first, headerLength, remainingLength, consumed);
            }

            var skip = Math.Min(buffer.Length, (long)headerLength + remainingLength);
            InvariantException.Check(consumed <= skip || skip == buffer.Length, "the rewritten head is inside its packet");
            buffer = buffer.Slice(skip);
        }
    }

    private void CheckRewrite(ReadOnlySequence<byte> buffer, byte first, int headerLength, int remainingLength, int consumed)
    {
        var head = _output.WrittenSpan;
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(headerLength, 2).ToArray());
        var status = MqttFrame.TryReadHeader(new ReadOnlySequence<byte>(head.ToArray()), out var newFirst, out var newHeaderLength, out var newRemaining);
        InvariantException.Check(status == MqttFrameStatus.Packet && newFirst == first && newRemaining == remainingLength + Suffix.Length, "rewritten fixed header");
        var newTopicLength = BinaryPrimitives.ReadUInt16BigEndian(head[newHeaderLength..]);
        InvariantException.Check(newTopicLength == topicLength + Suffix.Length && head.Length == newHeaderLength + 2 + newTopicLength, "rewritten topic length");
        InvariantException.Check(head[(newHeaderLength + 2)..].SequenceEqual([.. buffer.Slice(headerLength + 2, topicLength).ToArray(), .. Suffix]), "topic plus suffix");
        InvariantException.Check(consumed == headerLength + 2 + topicLength, "consumed the head and topic");
    }

    private static void CheckFrame(ReadOnlySequence<byte> buffer, MqttFrameStatus status, int headerLength, int remainingLength)
    {
        CheckHeader(status, headerLength, remainingLength);
        InvariantException.Check(status != MqttFrameStatus.Packet || headerLength + remainingLength <= buffer.Length, "a framed packet is all there");
    }

    private static void CheckHeader(MqttFrameStatus status, int headerLength, int remainingLength) =>
        InvariantException.Check(
            status != MqttFrameStatus.Packet || (headerLength is >= 2 and <= 5 && remainingLength is >= 0 and <= MqttFrame.MaxRemainingLength),
            "a fixed header of 2 to 5 bytes and a remaining length MQTT allows");

    private static void RoundTrip(MqttConnect connect, byte[]? user, byte[]? password)
    {
        var encoded = connect.Encode(user, password);
        var status = MqttConnect.Parse(new ReadOnlySequence<byte>(encoded), out var again);
        InvariantException.Check(status == ConnectParseStatus.Ok, "a re-encoded CONNECT parses");
        InvariantException.Check(
            again!.ProtocolName == connect.ProtocolName && again.ProtocolLevel == connect.ProtocolLevel && again.CleanSession == connect.CleanSession
            && again.KeepAliveSeconds == connect.KeepAliveSeconds && again.ClientId.AsSpan().SequenceEqual(connect.ClientId)
            && again.HasWill == connect.HasWill && again.WillQos == connect.WillQos && again.WillRetain == connect.WillRetain
            && again.WillTopic.AsSpan().SequenceEqual(connect.WillTopic) && again.WillMessage.AsSpan().SequenceEqual(connect.WillMessage)
            && Same(again.UserName, user) && Same(again.Password, user is null ? null : password),
            "a re-encoded CONNECT has the same fields");
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
