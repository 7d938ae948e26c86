using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Devices;

/// <summary>
/// The MQTT pipeline endpoint's own protocol handling, byte for byte from raw sockets (MQTT 3.1.1 and 5.0): what it
/// answers besides PUBLISH (PINGREQ, UNSUBSCRIBE, PUBREL), what its CONNACK tells an MQTT 5 client, client IDs it
/// assigns, QoS 2 delivered once, the keepalive cut, wills, and how each broken packet closes the connection (MQTT 5
/// first says why in a DISCONNECT), counted, with nothing delivered.
/// </summary>
public sealed class MqttPipelineProtocolTests : IAsyncLifetime
{
    private DeviceFixture _f = null!;

    public async ValueTask InitializeAsync() => _f = await DeviceFixture.StartAsync();

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<NetworkStream> ConnectedAsync(TcpClient client, string clientId, byte level, ushort keepAlive = 30, (string, string)? will = null, byte[]? properties = null)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect(clientId, level, will: will, keepAlive: keepAlive, properties: properties), Ct);
        var connAck = (await MqttBytes.ReadPacketAsync(stream))!;
        Assert.Equal(0x20, connAck[0]);
        Assert.Equal(0x00, connAck[3]);
        return stream;
    }

    private Task<TcpClient> DeviceAsync() => MqttBytes.RawAsync(DeviceFixture.FunnelOnly, _f.Gateway.MqttPipelinePort);

    private static async Task<string> ReadHexAsync(Stream stream) => Convert.ToHexString(await MqttBytes.ReadPacketAsync(stream) ?? []);

    [Theory]
    [InlineData(4, "B0020007")]
    [InlineData(5, "B00400070011")]
    public async Task A_PINGREQ_is_answered_and_an_UNSUBSCRIBE_acknowledged_with_nothing_to_unsubscribe(byte level, string unsubAck)
    {
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, $"ping-{level}", level);

        await stream.WriteAsync(new byte[] { 0xC0, 0x00 }, Ct);
        Assert.Equal("D000", await ReadHexAsync(stream));

        // UNSUBSCRIBE packet 7 of "a/b" (MQTT 5: after an empty property list): 3.1.1's UNSUBACK has no codes, 5's
        // says 0x11 no subscription existed.
        byte[] body = level == 5 ? [0, 7, 0, 0, 3, .. "a/b"u8] : [0, 7, 0, 3, .. "a/b"u8];
        await stream.WriteAsync(MqttBytes.Raw(0xA2, body), Ct);
        Assert.Equal(unsubAck, await ReadHexAsync(stream));
    }

    [Fact]
    public async Task The_MQTT_5_CONNACK_tells_the_packet_size_limit_and_that_there_is_nothing_to_subscribe_to()
    {
        using var client = await DeviceAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect("props-5", 5), Ct);

        // 20 0E 00 00, properties (11 bytes): Maximum Packet Size 865,541 (800,000 + 64 KiB + the fixed header's 5),
        // Wildcard, Subscription Identifier and Shared Subscription Available 0.
        Assert.Equal("200E00000B" + "27000D3505" + "280029002A00", await ReadHexAsync(stream));
    }

    [Theory]
    [InlineData(5, true, "assigned")]
    [InlineData(4, true, "accepted")]
    [InlineData(4, false, "20020002")]
    public async Task A_CONNECT_without_a_client_ID_gets_one_assigned_unless_a_311_session_is_to_be_resumed(byte level, bool clean, string expected)
    {
        using var client = await DeviceAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect("", level, clean), Ct);
        var connAck = await ReadHexAsync(stream);
        if (expected.StartsWith("2002", StringComparison.Ordinal))
        {
            // 3.1.1 §3.1.3-8: identifier rejected, then closed.
            Assert.Equal(expected, connAck);
            Assert.Null(await MqttBytes.ReadPacketAsync(stream));
            return;
        }

        if (expected == "assigned")
        {
            // CONNACK 0, Assigned Client Identifier (0x12) of 32 hex digits before the other properties.
            Assert.Equal("20", connAck[..2]);
            Assert.Equal("0000", connAck[4..8]);
            Assert.Equal("120020", connAck[10..16]);
            Assert.Matches("^[0-9a-f]{32}$", Encoding.ASCII.GetString(Convert.FromHexString(connAck[16..80])));
        }
        else
        {
            Assert.Equal("20020000", connAck);
        }

        await stream.WriteAsync(MqttBytes.Publish("t/anon", $"no-id-{level}", 1, 2, level), Ct);
        Assert.Equal("40020002", await ReadHexAsync(stream));
        Assert.Single(await _f.Funnel.WaitForAsync($"no-id-{level}"));
    }

    [Fact]
    public async Task A_QoS_2_message_sent_again_before_PUBREL_is_acknowledged_and_delivered_once()
    {
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, "qos2-once", 5);

        await stream.WriteAsync(MqttBytes.Publish("t/q2", "exactly-once", 2, 9, 5), Ct);
        Assert.Equal("50020009", await ReadHexAsync(stream));
        await stream.WriteAsync(MqttBytes.Publish("t/q2", "exactly-once", 2, 9, 5, dup: true), Ct);
        Assert.Equal("50020009", await ReadHexAsync(stream));
        await stream.WriteAsync(new byte[] { 0x62, 0x02, 0x00, 0x09 }, Ct);
        Assert.Equal("70020009", await ReadHexAsync(stream));

        // Released: the identifier is free for the next message, which is delivered.
        await stream.WriteAsync(MqttBytes.Publish("t/q2", "next-under-9", 2, 9, 5), Ct);
        Assert.Equal("50020009", await ReadHexAsync(stream));
        await _f.Funnel.WaitForAsync("next-under-9");
        Assert.Single(await _f.Funnel.WaitForAsync("exactly-once"));
    }

    [Theory]
    [InlineData("wildcard", 5, "E00190")]
    [InlineData("wildcard", 4, "")]
    [InlineData("topic-alias", 5, "E00194")]
    [InlineData("qos-3", 5, "E00181")]
    [InlineData("qos-3", 4, "")]
    [InlineData("second-connect", 5, "E00182")]
    [InlineData("second-connect", 4, "")]
    [InlineData("puback-from-client", 5, "E00182")]
    [InlineData("bad-utf8-topic", 5, "E00181")]
    [InlineData("bad-utf8-topic", 4, "")]
    [InlineData("truncated-topic", 5, "E00181")]
    public async Task A_broken_packet_closes_the_connection_and_MQTT_5_is_told_why(string problem, byte level, string disconnect)
    {
        // MQTT 5 PUBLISHes carry a property list (here empty, or a topic alias) after the topic and identifier.
        byte[] properties = level == 5 ? [0] : [];
        byte[] packet = problem switch
        {
            "wildcard" => MqttBytes.Publish("a/+", "broken-wildcard", 1, 1, level),
            "topic-alias" => MqttBytes.Raw(0x32, [0, 1, (byte)'t', 0, 1, 3, 0x23, 0, 1, .. "broken-alias"u8]),
            "qos-3" => MqttBytes.Raw(0x36, [0, 1, (byte)'t', 0, 1, .. properties, .. "broken-qos3"u8]),
            "second-connect" => MqttBytes.Connect("again", level),
            "puback-from-client" => [0x40, 0x02, 0x00, 0x01],
            "bad-utf8-topic" => MqttBytes.Raw(0x30, [0, 2, 0xC3, 0x28, .. properties, .. "broken-utf8"u8]),
            _ => MqttBytes.Raw(0x30, [0, 9, (byte)'t']),
        };
        using var counted = new DeviceResultCounter("mqtt", "protocol_error");
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, $"broken-{problem}-{level}", level);
        await stream.WriteAsync(packet, Ct);

        // MQTT 5: the DISCONNECT with the reason, then the end; 3.1.1 has no such packet: just the end.
        if (disconnect.Length > 0)
        {
            Assert.Equal(disconnect, await ReadHexAsync(stream));
        }

        Assert.Null(await MqttBytes.ReadPacketAsync(stream));
        Assert.Equal(1, counted.Count);
        Assert.False(_f.Funnel.Has("broken-"));
    }

    [Fact]
    public async Task A_first_packet_that_is_not_a_CONNECT_is_closed_without_an_answer()
    {
        using var counted = new DeviceResultCounter("mqtt", "malformed_connect", "gateway.devices.mqtt.connections");
        using var client = await DeviceAsync();
        await client.GetStream().WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), Ct);

        Assert.Null(await MqttBytes.ReadPacketAsync(client.GetStream()));
        Assert.Equal(1, counted.Count);
    }

    [Fact]
    public async Task An_unsupported_protocol_level_gets_CONNACK_1_and_is_closed()
    {
        using var counted = new DeviceResultCounter("mqtt", "unsupported_protocol", "gateway.devices.mqtt.connections");
        using var client = await DeviceAsync();
        await client.GetStream().WriteAsync(MqttBytes.Connect("level-6", 6), Ct);

        Assert.Equal("20020001", await ReadHexAsync(client.GetStream()));
        Assert.Null(await MqttBytes.ReadPacketAsync(client.GetStream()));
        Assert.Equal(1, counted.Count);
    }

    [Fact]
    public async Task Extended_authentication_is_refused_with_bad_authentication_method()
    {
        using var client = await DeviceAsync();
        await client.GetStream().WriteAsync(MqttBytes.Connect("auth-5", 5, properties: [0x15, 0, 5, .. "SCRAM"u8]), Ct);

        var connAck = (await MqttBytes.ReadPacketAsync(client.GetStream()))!;
        Assert.Equal(0x8C, connAck[3]);
        Assert.Contains("extended authentication is not offered", Encoding.UTF8.GetString(connAck), StringComparison.Ordinal);
        Assert.Null(await MqttBytes.ReadPacketAsync(client.GetStream()));
    }

    [Theory]
    [InlineData("no-problem-information", new byte[] { 0x17, 0 })]
    [InlineData("small-maximum-packet", new byte[] { 0x27, 0, 0, 0, 16 })]
    public async Task A_failure_acknowledgement_leaves_the_reason_string_out_when_the_client_asked_for_none_or_it_would_not_fit(string name, byte[] properties)
    {
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, name, 5, properties: properties);

        await stream.WriteAsync(MqttBytes.Publish("t", $"fail-{name}", 1, 4, 5), Ct);

        // PUBACK packet 4, 0x99 payload format invalid, no properties.
        Assert.Equal("4003000499", await ReadHexAsync(stream));
    }

    [Fact]
    public async Task A_device_silent_past_one_and_a_half_keepalives_is_cut_told_why_and_its_will_published()
    {
        using var counted = new DeviceResultCounter("mqtt", "keepalive_timeout");
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, "silent-5", 5, keepAlive: 1, will: ("status/silent", "will-keepalive"));

        // Keepalive 1 s: cut 1.5 s after the last packet (within the 0.2 s tick), with DISCONNECT 0x8D.
        Assert.Equal("E0018D", Convert.ToHexString(await MqttBytes.ReadPacketAsync(stream, TimeSpan.FromSeconds(5)) ?? []));
        Assert.Null(await MqttBytes.ReadPacketAsync(stream));
        Assert.Equal("status/silent", Assert.Single(await _f.Funnel.WaitForAsync("will-keepalive")).Topic);
        Assert.Equal(1, counted.Count);
    }

    [Fact]
    public async Task PINGREQ_keeps_a_connection_with_a_short_keepalive_up()
    {
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, "pinging-5", 5, keepAlive: 1);
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(700, Ct);
            await stream.WriteAsync(new byte[] { 0xC0, 0x00 }, Ct);
            Assert.Equal("D000", await ReadHexAsync(stream));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xE0, 0x00 }, false)]
    [InlineData(new byte[] { 0xE0, 0x02, 0x04, 0x00 }, true)]
    public async Task A_DISCONNECT_drops_the_will_unless_MQTT_5_asks_for_it(byte[] disconnect, bool published)
    {
        var marker = $"will-disconnect-{published}";
        using (var client = await DeviceAsync())
        {
            var stream = await ConnectedAsync(client, marker, 5, will: ("status/bye", marker));
            await stream.WriteAsync(disconnect, Ct);
            Assert.Null(await MqttBytes.ReadPacketAsync(stream));
        }

        // The will is delivered before the connection's handling ends; a later message of the same device then finds it there.
        using (var after = await DeviceAsync())
        {
            var stream = await ConnectedAsync(after, marker + "-after", 4);
            await stream.WriteAsync(MqttBytes.Publish("t", marker + "-after", 1, 1, 4), Ct);
            Assert.Equal("40020001", await ReadHexAsync(stream));
        }

        Assert.Equal(published, _f.Funnel.Messages.Any(m => Encoding.UTF8.GetString(m.Payload.Span) == marker));
    }

    [Fact]
    public async Task On_MQTT_5_a_connection_replaced_by_the_same_device_is_told_session_taken_over()
    {
        using var old = await DeviceAsync();
        var oldStream = await ConnectedAsync(old, "taken-5", 5);
        using var next = await DeviceAsync();
        await ConnectedAsync(next, "taken-5", 5);

        Assert.Equal("E0018E", await ReadHexAsync(oldStream));
        Assert.Null(await MqttBytes.ReadPacketAsync(oldStream));
    }

    [Fact]
    public async Task On_MQTT_5_a_packet_over_the_limit_is_answered_packet_too_large()
    {
        using var counted = new DeviceResultCounter("mqtt", "too_large");
        using var client = await DeviceAsync();
        var stream = await ConnectedAsync(client, "big-5", 5);

        // PUBLISH announcing 2,000,000 bytes (varint 80 89 7A): only its header is sent.
        await stream.WriteAsync(new byte[] { 0x30, 0x80, 0x89, 0x7A, 0x00, 0x01, (byte)'t' }, Ct);

        Assert.Equal("E00195", await ReadHexAsync(stream));
        Assert.Null(await MqttBytes.ReadPacketAsync(stream));
        Assert.Equal(1, counted.Count);
    }

    [Fact]
    public async Task When_the_gateway_stops_open_connections_are_ended_at_once_and_MQTT_5_is_told_why()
    {
        using var v5 = await DeviceAsync();
        var v5Stream = await ConnectedAsync(v5, "stopping-5", 5, will: ("status/stop", "will-at-stop"));
        using var v311 = await DeviceAsync();
        var v311Stream = await ConnectedAsync(v311, "stopping-311", 4);

        // Idle devices never leave by themselves: without this the host would wait its whole shutdown grace (30 s).
        var stopping = _f.Gateway.StopAsync();

        Assert.Equal("E0018B", await ReadHexAsync(v5Stream));
        Assert.Null(await MqttBytes.ReadPacketAsync(v5Stream));
        Assert.Null(await MqttBytes.ReadPacketAsync(v311Stream));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // Server shutting down is not the device dropping: no will.
        Assert.False(_f.Funnel.Has("will-at-stop"));
    }
}
