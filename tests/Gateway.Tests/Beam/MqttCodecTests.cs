using System.Buffers;
using Gateway.Beam.Mqtt;

namespace Gateway.Tests.Beam;

/// <summary>The MQTT 3.1.1 fixed header, CONNECT and PUBLISH code of the MQTT entry point, against hand-built bytes.</summary>
public sealed class MqttCodecTests
{
    [Theory]
    [InlineData(0, "00")]
    [InlineData(127, "7F")]
    [InlineData(128, "8001")]
    [InlineData(16_383, "FF7F")]
    [InlineData(16_384, "808001")]
    [InlineData(2_097_151, "FFFF7F")]
    [InlineData(2_097_152, "80808001")]
    [InlineData(268_435_455, "FFFFFF7F")]
    public void Remaining_length_is_written_and_read_as_the_spec_examples(int value, string hex)
    {
        Span<byte> buffer = stackalloc byte[4];
        var n = MqttFrame.WriteRemainingLength(buffer, value);
        Assert.Equal(hex, Convert.ToHexString(buffer[..n]));
        Assert.Equal(n, MqttFrame.RemainingLengthSize(value));

        var packet = new ReadOnlySequence<byte>([0x30, .. buffer[..n]]);
        Assert.Equal(MqttFrameStatus.Packet, MqttFrame.TryReadHeader(packet, out var first, out var headerLength, out var remaining));
        Assert.Equal(0x30, first);
        Assert.Equal(1 + n, headerLength);
        Assert.Equal(value, remaining);
    }

    [Fact]
    public void A_fifth_length_byte_is_malformed_and_a_cut_header_incomplete()
    {
        Assert.Equal(MqttFrameStatus.Malformed, MqttFrame.TryReadHeader(new ReadOnlySequence<byte>([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), out _, out _, out _));
        Assert.Equal(MqttFrameStatus.Incomplete, MqttFrame.TryReadHeader(new ReadOnlySequence<byte>([0x30, 0xFF, 0xFF]), out _, out _, out _));
        Assert.Equal(MqttFrameStatus.Incomplete, MqttFrame.TryReadHeader(ReadOnlySequence<byte>.Empty, out _, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MqttFrame.WriteRemainingLength(new byte[4], 268_435_456));
    }

    [Fact]
    public void Whole_packets_wait_for_their_body_and_oversized_ones_are_refused_from_the_header()
    {
        Assert.Equal(MqttFrameStatus.Incomplete, MqttFrame.TryRead(new ReadOnlySequence<byte>([0x30, 0x03, 0x00]), 100, out _, out _, out _));
        Assert.Equal(MqttFrameStatus.Packet, MqttFrame.TryRead(new ReadOnlySequence<byte>([0xC0, 0x00, 0xD0]), 100, out var first, out var h, out var r));
        Assert.Equal((0xC0, 2, 0), (first, h, r));
        Assert.Equal(MqttFrameStatus.TooLarge, MqttFrame.TryRead(new ReadOnlySequence<byte>([0x30, 0xE5, 0x00]), 100, out _, out _, out _));
    }

    // CONNECT, MQTT 3.1.1, clean session, will (QoS 1, retain) "w/t" = "bye", user "u", password "p", keepalive 60, client id "dev".
    private static readonly byte[] s_connect = Convert.FromHexString(
        "10" + "1F" + "00044D515454" + "04" + "EE" + "003C" + "0003646576" + "0003772F74" + "0003627965" + "000175" + "000170");

    [Fact]
    public void Connect_is_parsed_field_by_field()
    {
        Assert.Equal(s_connect.Length - 2, s_connect[1]);
        Assert.Equal(ConnectParseStatus.Ok, MqttConnect.Parse(new ReadOnlySequence<byte>(s_connect), out var c));
        Assert.Equal("MQTT", c!.ProtocolName);
        Assert.Equal(4, c.ProtocolLevel);
        Assert.True(c.CleanSession);
        Assert.Equal(60, c.KeepAliveSeconds);
        Assert.Equal("dev"u8.ToArray(), c.ClientId);
        Assert.True(c.HasWill);
        Assert.Equal(1, c.WillQos);
        Assert.True(c.WillRetain);
        Assert.Equal("w/t"u8.ToArray(), c.WillTopic);
        Assert.Equal("bye"u8.ToArray(), c.WillMessage);
        Assert.Equal("u"u8.ToArray(), c.UserName);
        Assert.Equal("p"u8.ToArray(), c.Password);
    }

    [Fact]
    public void Connect_re_encoded_with_the_devices_own_credentials_is_byte_identical()
    {
        MqttConnect.Parse(new ReadOnlySequence<byte>(s_connect), out var c);
        Assert.Equal(Convert.ToHexString(s_connect), Convert.ToHexString(c!.Encode(c.UserName, c.Password)));
    }

    [Fact]
    public void Connect_re_encoded_with_other_credentials_or_none_changes_only_those()
    {
        MqttConnect.Parse(new ReadOnlySequence<byte>(s_connect), out var c);
        Assert.Equal("10" + "19" + "00044D515454" + "04" + "2E" + "003C" + "0003646576" + "0003772F74" + "0003627965",
            Convert.ToHexString(c!.Encode(null, null)));
        Assert.Equal("10" + "25" + "00044D515454" + "04" + "EE" + "003C" + "0003646576" + "0003772F74" + "0003627965" + "00026777" + "00067365637265 74".Replace(" ", "", StringComparison.Ordinal),
            Convert.ToHexString(c.Encode("gw"u8.ToArray(), "secret"u8.ToArray())));
    }

    [Theory]
    [InlineData("10" + "0C" + "00044D515454" + "05" + "02" + "003C" + "00" + "0000", "unsupported")] // MQTT 5 (properties length 0)
    [InlineData("10" + "0C" + "00044D515454" + "03" + "02" + "003C" + "0000", "unsupported")] // "MQTT" at level 3
    [InlineData("10" + "0E" + "00064D514973647003" + "02" + "003C" + "0000", "ok")] // MQTT 3.1
    [InlineData("10" + "0C" + "00044D515455" + "04" + "02" + "003C" + "0000", "malformed")] // protocol name "MQTU"
    [InlineData("10" + "0C" + "00044D515454" + "04" + "03" + "003C" + "0000", "malformed")] // reserved flag bit set
    [InlineData("10" + "0C" + "00044D515454" + "04" + "42" + "003C" + "0000", "malformed")] // password without user name
    [InlineData("10" + "0C" + "00044D515454" + "04" + "0A" + "003C" + "0000", "malformed")] // will QoS without a will
    [InlineData("10" + "0C" + "00044D515454" + "04" + "02" + "003C" + "0005", "malformed")] // client id runs past the end
    [InlineData("10" + "0D" + "00044D515454" + "04" + "02" + "003C" + "0000" + "FF", "malformed")] // trailing byte
    [InlineData("12" + "0C" + "00044D515454" + "04" + "02" + "003C" + "0000", "malformed")] // fixed-header flags not 0
    public void Connect_protocol_levels_and_malformed_packets(string hex, string expected)
    {
        var status = MqttConnect.Parse(new ReadOnlySequence<byte>(Convert.FromHexString(hex)), out _) switch
        {
            ConnectParseStatus.Ok => "ok",
            ConnectParseStatus.UnsupportedProtocolLevel => "unsupported",
            _ => "malformed",
        };
        Assert.Equal(expected, status);
    }

    [Fact]
    public void ConnAck_is_four_bytes()
    {
        Assert.Equal("20020005", Convert.ToHexString(MqttConnect.ConnAck(ConnectReturnCode.NotAuthorized)));
        Assert.Equal("20020100", Convert.ToHexString(MqttConnect.ConnAck(ConnectReturnCode.Accepted, sessionPresent: true)));
    }

    [Fact]
    public void Publish_topic_suffix_regrows_the_remaining_length_past_one_byte_and_keeps_flags_and_packet_id()
    {
        // QoS 1, retain; topic "a/b"; packet id 0x1234; 118 bytes payload: remaining 2+3+2+118 = 125, one length byte.
        var payload = Enumerable.Range(0, 118).Select(static i => (byte)i).ToArray();
        byte[] packet = [0x33, 125, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x12, 0x34, .. payload];
        var output = new ArrayBufferWriter<byte>();
        var status = MqttPublish.TryWriteHeadWithTopicSuffix(new ReadOnlySequence<byte>(packet), 2, 125, "/440101234567890"u8, output, out var consumed);

        Assert.Equal(MqttFrameStatus.Packet, status);
        Assert.Equal(2 + 2 + 3, consumed);
        output.Write(packet.AsSpan(consumed));
        byte[] expected = [0x33, 0x8D, 0x01, 0x00, 0x13, .. "a/b/440101234567890"u8, 0x12, 0x34, .. payload];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(output.WrittenSpan));
        Assert.Equal(MqttFrameStatus.Packet, MqttFrame.TryRead(new ReadOnlySequence<byte>(output.WrittenMemory), int.MaxValue, out _, out var h, out var r));
        Assert.Equal(output.WrittenCount, h + r);
    }

    [Fact]
    public void Publish_head_waits_for_the_topic_and_refuses_a_topic_running_past_the_packet()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(MqttFrameStatus.Incomplete, MqttPublish.TryWriteHeadWithTopicSuffix(new ReadOnlySequence<byte>([0x30, 0x07, 0x00, 0x05, (byte)'a']), 2, 7, "/1"u8, output, out _));
        Assert.Equal(MqttFrameStatus.Malformed, MqttPublish.TryWriteHeadWithTopicSuffix(new ReadOnlySequence<byte>([0x30, 0x03, 0x00, 0x05, (byte)'a']), 2, 3, "/1"u8, output, out _));
        Assert.Equal(0, output.WrittenCount);
    }
}
