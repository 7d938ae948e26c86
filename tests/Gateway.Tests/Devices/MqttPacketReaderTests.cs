using System.Buffers;
using System.Text;
using Gateway.Devices.Mqtt;

namespace Gateway.Tests.Devices;

/// <summary>
/// The MQTT pipeline endpoint's packet readers and writers on exact bytes (MQTT 3.1.1 and 5.0): what they read, each
/// rule that makes a packet malformed or a protocol error, every truncation refused without an exception, and the
/// acknowledgements' encoding (reason strings cut at a character boundary, left out when they would not fit).
/// </summary>
public sealed class MqttPacketReaderTests
{
    private static byte[] Field(string text) => [(byte)(Encoding.UTF8.GetByteCount(text) >> 8), (byte)Encoding.UTF8.GetByteCount(text), .. Encoding.UTF8.GetBytes(text)];

    private static byte[] Properties(params byte[] properties) => [(byte)properties.Length, .. properties];

    /// <summary>A full MQTT 5 CONNECT body: properties, client ID, a will with its properties, user name and password.</summary>
    private static byte[] Connect5(byte[]? properties = null, string clientId = "dev-1", string willTopic = "status/dev-1") =>
    [
        .. Field("MQTT"), 5, 0xC6 | 0x08, 0, 60,
        .. properties ?? Properties(0x11, 0, 0, 0, 10, 0x21, 0, 8, 0x27, 0, 0, 1, 0, 0x17, 0, 0x26, 0, 1, (byte)'k', 0, 1, (byte)'v'),
        .. Field(clientId),
        .. Properties(0x18, 0, 0, 0, 5, 0x01, 1), .. Field(willTopic), 0, 4, .. "gone"u8,
        .. Field("user"), 0, 2, 1, 2,
    ];

    private static MqttParseStatus ParseConnect(byte[] body, out MqttDeviceConnect? connect) =>
        MqttDeviceConnect.Parse(0x10, new ReadOnlySequence<byte>(body), out connect);

    [Fact]
    public void An_MQTT_5_CONNECT_is_read_with_its_will_and_what_it_asks_of_acknowledgements()
    {
        Assert.Equal(MqttParseStatus.Ok, ParseConnect(Connect5(), out var connect));

        Assert.Equal(5, connect!.Level);
        Assert.True(connect.IsV5);
        Assert.Equal("dev-1", connect.ClientId);
        Assert.Equal(60, connect.KeepAliveSeconds);
        Assert.True(connect.CleanStart);
        Assert.Equal("status/dev-1", connect.Will!.Topic);
        Assert.Equal("gone"u8.ToArray(), connect.Will.Payload);
        Assert.Equal(1, connect.Will.Qos);
        Assert.False(connect.ReasonStrings);
        Assert.Equal(256u, connect.MaxPacketSize);
        Assert.False(connect.HasAuthenticationMethod);
    }

    [Theory]
    [InlineData("MQTT", 4, 0x02, "Ok")]
    [InlineData("MQIsdp", 3, 0x02, "Ok")]
    [InlineData("MQTT", 3, 0x02, "UnsupportedProtocolVersion")]
    [InlineData("MQTT", 6, 0x02, "UnsupportedProtocolVersion")]
    [InlineData("MQTX", 4, 0x02, "Malformed")]
    [InlineData("MQTT", 4, 0x03, "Malformed")] // reserved flag bit
    [InlineData("MQTT", 4, 0x18, "Malformed")] // will QoS 3
    [InlineData("MQTT", 4, 0x22, "Malformed")] // will retain without a will
    [InlineData("MQTT", 4, 0x42, "Malformed")] // 3.1.1: a password without a user name
    public void A_311_CONNECT_header_is_checked_before_anything_else(string name, byte level, byte flags, string status)
    {
        byte[] body = [.. Field(name), level, flags, 0, 10, .. Field("c"), .. (flags & 0x40) != 0 ? new byte[] { 0, 1, 9 } : []];
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), ParseConnect(body, out _));
    }

    [Fact]
    public void On_MQTT_5_a_password_without_a_user_name_is_allowed()
    {
        byte[] body = [.. Field("MQTT"), 5, 0x42, 0, 10, 0, .. Field("c"), 0, 1, 9];
        Assert.Equal(MqttParseStatus.Ok, ParseConnect(body, out var connect));
        Assert.Equal("c", connect!.ClientId);
    }

    [Theory]
    [InlineData(new byte[] { 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2 }, "ProtocolError")] // a property twice
    [InlineData(new byte[] { 0x23, 0, 1 }, "ProtocolError")] // a topic alias belongs to PUBLISH
    [InlineData(new byte[] { 0x21, 0, 0 }, "ProtocolError")] // receive maximum 0
    [InlineData(new byte[] { 0x27, 0, 0, 0, 0 }, "ProtocolError")] // maximum packet size 0
    [InlineData(new byte[] { 0x17, 2 }, "ProtocolError")] // request problem information is 0 or 1
    [InlineData(new byte[] { 0x05, 0 }, "Malformed")] // no such property
    [InlineData(new byte[] { 0x26, 0, 1, (byte)'k' }, "Malformed")] // a user property without its value
    [InlineData(new byte[] { 0x26, 0, 1, (byte)'k', 0, 1, (byte)'v', 0x26, 0, 1, (byte)'k', 0, 1, (byte)'w' }, "Ok")] // user properties repeat
    public void MQTT_5_CONNECT_properties_are_checked(byte[] properties, string status) =>
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), ParseConnect(Connect5(Properties(properties)), out _));

    [Fact]
    public void An_authentication_method_is_noted_for_the_refusal()
    {
        Assert.Equal(MqttParseStatus.Ok, ParseConnect(Connect5(Properties([0x15, .. Field("SCRAM-SHA-1")])), out var connect));
        Assert.True(connect!.HasAuthenticationMethod);
    }

    [Theory]
    [InlineData("status/+", "TopicNameInvalid")]
    [InlineData("", "TopicNameInvalid")]
    [InlineData("a\0b", "Malformed")]
    public void A_will_topic_is_a_topic_name(string topic, string status) =>
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), ParseConnect(Connect5(willTopic: topic), out _));

    [Fact]
    public void A_client_ID_with_U_0000_or_broken_UTF_8_is_malformed()
    {
        Assert.Equal(MqttParseStatus.Malformed, ParseConnect(Connect5(clientId: "a\0"), out _));
        byte[] broken = [.. Field("MQTT"), 4, 0x02, 0, 10, 0, 2, 0xC3, 0x28];
        Assert.Equal(MqttParseStatus.Malformed, ParseConnect(broken, out _));
    }

    [Fact]
    public void Every_truncation_of_a_CONNECT_is_refused_without_an_exception()
    {
        var body = Connect5();
        for (var length = 0; length < body.Length; length++)
        {
            Assert.NotEqual(MqttParseStatus.Ok, ParseConnect(body[..length], out var connect));
            Assert.Null(connect);
        }
    }

    [Fact]
    public void A_PUBLISH_is_read_with_its_payload_in_place_and_MQTT_5_properties_stepped_over()
    {
        byte[] body = [.. Field("sensors/t"), 0, 42, .. Properties([0x01, 1, 0x03, .. Field("application/json")]), .. "{\"t\":1}"u8];
        Assert.Equal(MqttParseStatus.Ok, MqttDevicePublish.Parse(0x3B, new ReadOnlySequence<byte>(body), v5: true, out var publish));

        Assert.Equal("sensors/t", publish.Topic);
        Assert.Equal(1, publish.Qos);
        Assert.True(publish.Duplicate);
        Assert.Equal(42, publish.PacketId);
        Assert.Equal("{\"t\":1}", Encoding.UTF8.GetString(publish.Payload.ToArray()));
    }

    [Theory]
    [InlineData(0x36, new byte[] { 0, 1, (byte)'t', 0, 1 }, false, "Malformed")] // QoS 3
    [InlineData(0x38, new byte[] { 0, 1, (byte)'t' }, false, "Malformed")] // DUP on QoS 0
    [InlineData(0x32, new byte[] { 0, 1, (byte)'t', 0, 0 }, false, "ProtocolError")] // packet identifier 0
    [InlineData(0x30, new byte[] { 0, 1, (byte)'#' }, false, "TopicNameInvalid")]
    [InlineData(0x30, new byte[] { 0, 0 }, false, "TopicNameInvalid")] // empty topic, no alias
    [InlineData(0x30, new byte[] { 0, 1, (byte)'t', 3, 0x23, 0, 1 }, true, "TopicAliasInvalid")]
    [InlineData(0x30, new byte[] { 0, 1, (byte)'t', 2, 0x0B, 1 }, true, "ProtocolError")] // subscription identifier: server to client only
    [InlineData(0x30, new byte[] { 0, 1, (byte)'t', 9 }, true, "Malformed")] // properties longer than the packet
    [InlineData(0x30, new byte[] { 0, 5, (byte)'t' }, false, "Malformed")] // topic longer than the packet
    public void A_broken_PUBLISH_is_refused_with_the_reason_MQTT_5_names(byte first, byte[] body, bool v5, string status) =>
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), MqttDevicePublish.Parse(first, new ReadOnlySequence<byte>(body), v5, out _));

    [Theory]
    [InlineData(0x82, new byte[] { 0, 5, 0, 1, (byte)'#', 1, 0, 1, (byte)'a', 2 }, false, "Ok", 2)]
    [InlineData(0x82, new byte[] { 0, 5, 0, 0, 1, (byte)'#', 0x2E }, true, "Ok", 1)] // MQTT 5 options: no local, retain as published, handling 2
    [InlineData(0x82, new byte[] { 0, 5, 0, 1, (byte)'#', 0x04 }, false, "Malformed", 1)] // 3.1.1: reserved option bits
    [InlineData(0x82, new byte[] { 0, 5, 0, 0, 1, (byte)'#', 0x30 }, true, "Malformed", 0)] // retain handling 3
    [InlineData(0x82, new byte[] { 0, 5, 0, 1, (byte)'#', 3 }, false, "Malformed", 0)] // QoS 3
    [InlineData(0x82, new byte[] { 0, 5 }, false, "ProtocolError", 0)] // no filter
    [InlineData(0x82, new byte[] { 0, 0, 0, 1, (byte)'#', 0 }, false, "ProtocolError", 0)] // identifier 0
    [InlineData(0xA2, new byte[] { 0, 6, 0, 0, 1, (byte)'a', 0, 1, (byte)'b' }, true, "Ok", 2)]
    public void SUBSCRIBE_and_UNSUBSCRIBE_are_checked_and_their_filters_counted(byte first, byte[] body, bool v5, string status, int filters)
    {
        var parsed = MqttControlPackets.ParseSubscription(first, new ReadOnlySequence<byte>(body), v5, out _, out var counted);
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), parsed);
        if (parsed == MqttParseStatus.Ok)
        {
            Assert.Equal(filters, counted);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 7 }, true, "Ok")]
    [InlineData(new byte[] { 0, 7, 0x92 }, true, "Ok")]
    [InlineData(new byte[] { 0, 7, 0x00, 0 }, true, "Ok")]
    [InlineData(new byte[] { 0, 7, 0x80 }, true, "ProtocolError")]
    [InlineData(new byte[] { 0, 7, 0 }, false, "Malformed")]
    [InlineData(new byte[] { 0 }, false, "Malformed")]
    public void PUBREL_is_read_with_MQTT_5s_optional_reason(byte[] body, bool v5, string status) =>
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), MqttControlPackets.ParsePubRel(new ReadOnlySequence<byte>(body), v5, out _));

    [Theory]
    [InlineData(new byte[0], true, "Ok", 0)]
    [InlineData(new byte[] { 0x04 }, true, "Ok", 4)]
    [InlineData(new byte[] { 0x04, 0 }, true, "Ok", 4)]
    [InlineData(new byte[] { 0x00, 2, 0x1C, 0 }, true, "ProtocolError", 0)] // a server reference goes from server to client
    [InlineData(new byte[] { 0x04 }, false, "Malformed", 0)]
    public void DISCONNECT_is_read_with_MQTT_5s_reason(byte[] body, bool v5, string status, byte reason)
    {
        var parsed = MqttControlPackets.ParseDisconnect(new ReadOnlySequence<byte>(body), v5, out var read);
        Assert.Equal(Enum.Parse<MqttParseStatus>(status), parsed);
        Assert.Equal(reason, read);
    }

    [Fact]
    public void A_string_split_across_segments_is_read_whole()
    {
        // "é" (C3 A9) straddles the boundary between two segments of the pipe.
        byte[] body = [0, 4, (byte)'a', 0xC3, 0xA9, (byte)'b', 0, 1, 0x61];
        var split = Segments(body[..4], body[4..]);
        Assert.Equal(MqttParseStatus.Ok, MqttDevicePublish.Parse(0x32, split, v5: false, out var publish));
        Assert.Equal("aéb", publish.Topic);
        Assert.Equal(1, publish.PacketId);
    }

    [Fact]
    public void A_success_acknowledgement_is_the_short_form_and_a_failure_carries_code_and_reason()
    {
        var output = new ArrayBufferWriter<byte>();
        MqttAcks.Ack(output, MqttAcks.PubAck, 0x0102);
        Assert.Equal("40020102", Convert.ToHexString(output.WrittenSpan));

        output.Clear();
        var client = new MqttDeviceConnect { Level = 5 };
        MqttAcks.Ack(output, MqttAcks.PubRec, 3, 0x97, "busy", client);
        Assert.Equal("500B" + "0003" + "97" + "07" + "1F0004" + Convert.ToHexString("busy"u8), Convert.ToHexString(output.WrittenSpan));
    }

    [Fact]
    public void A_long_reason_is_cut_at_a_character_boundary()
    {
        var reason = new string('a', MqttAcks.MaxReasonBytes - 1) + "é and more";
        var bytes = MqttAcks.Reason(reason);

        Assert.Equal(MqttAcks.MaxReasonBytes - 1, bytes.Length);
        Assert.Equal(new string('a', MqttAcks.MaxReasonBytes - 1), Encoding.UTF8.GetString(bytes));
    }

    private static ReadOnlySequence<byte> Segments(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
