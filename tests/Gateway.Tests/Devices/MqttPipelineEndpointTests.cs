using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Gateway.Pipeline;
using Gateway.Tests.Beam;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Gateway.Tests.Devices;

/// <summary>
/// MQTT into the pipeline, against the real mosquitto clients (3.1.1 and 5, QoS 0/1/2) and MQTTnet's client over
/// WebSocket, with exact bytes from raw sockets bound to 127.0.0.N where the acknowledgement itself is the point:
/// refused CONNECTs, failure reason codes on MQTT 5, and on 3.1.1 no PUBACK, then a retry that is acknowledged.
/// </summary>
public sealed class MqttPipelineEndpointTests : IAsyncLifetime
{
    private DeviceFixture _f = null!;

    public async ValueTask InitializeAsync() => _f = await DeviceFixture.StartAsync();

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    private int Port => _f.Gateway.MqttPipelinePort;

    private string[] Target(string source) => ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-A", source];

    [Theory]
    [InlineData("mqttv311", 0)]
    [InlineData("mqttv311", 1)]
    [InlineData("mqttv311", 2)]
    [InlineData("mqttv5", 0)]
    [InlineData("mqttv5", 1)]
    [InlineData("mqttv5", 2)]
    public async Task Mosquitto_pub_delivers_one_device_message_per_PUBLISH(string version, int qos)
    {
        var marker = $"{{\"v\":\"{version}\",\"q\":{qos}}}";
        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(DeviceFixture.FunnelOnly), "-V", version, "-q", qos.ToString(CultureInfo.InvariantCulture), "-i", $"pub-{version}-{qos}", "-t", "sensors/room1", "-m", marker, "-u", "440109999000072"]);

        Assert.True(code == 0, error);
        var message = Assert.Single(await _f.Funnel.WaitForAsync(marker));
        Assert.Equal(SourceProtocol.Mqtt, message.Protocol);
        Assert.Equal("mqtt", message.EntryPoint);
        Assert.Equal("sensors/room1", message.Topic);
        Assert.Equal(qos, message.Qos);
        Assert.Null(message.OnlyService);

        // The user name claimed another SIM: identity comes from the source address only.
        Assert.Equal("440109999000071", message.Subscriber.Imsi);
        Assert.Equal(DeviceFixture.FunnelOnly, message.Source!.Address.ToString());
    }

    [Fact]
    public async Task An_unknown_device_gets_the_not_authorized_CONNACK_of_its_version()
    {
        using var refused = new DeviceResultCounter("mqtt", "refused_unknown_device", "gateway.devices.mqtt.connections");
        using (var v311 = await MqttBytes.RawAsync(DeviceFixture.Unknown, Port))
        {
            await v311.GetStream().WriteAsync(MqttBytes.Connect("unknown-311", 4), TestContext.Current.CancellationToken);
            Assert.Equal("20020005", Convert.ToHexString((await MqttBytes.ReadPacketAsync(v311.GetStream()))!));
            Assert.Null(await MqttBytes.ReadPacketAsync(v311.GetStream()));
        }

        using (var v5 = await MqttBytes.RawAsync(DeviceFixture.Unknown, Port))
        {
            await v5.GetStream().WriteAsync(MqttBytes.Connect("unknown-5", 5), TestContext.Current.CancellationToken);
            var connAck = (await MqttBytes.ReadPacketAsync(v5.GetStream()))!;
            Assert.Equal(0x20, connAck[0]);
            Assert.Equal(0x87, connAck[3]);
        }

        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(DeviceFixture.Unknown), "-V", "mqttv5", "-q", "1", "-t", "t", "-m", "unknown-pub", "-u", "440109999000071", "-P", "x"]);
        Assert.NotEqual(0, code);
        Assert.Contains("not authori", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, refused.Count);
        Assert.False(_f.Funnel.Has("unknown-pub"));
    }

    [Fact]
    public async Task A_device_whose_group_takes_no_MQTT_messages_is_refused_at_CONNECT()
    {
        using var counted = new DeviceResultCounter("mqtt", "no_service", "gateway.devices.mqtt.connections");
        using var client = await MqttBytes.RawAsync(DeviceFixture.NoService, Port);
        await client.GetStream().WriteAsync(MqttBytes.Connect("none-311", 4), TestContext.Current.CancellationToken);

        Assert.Equal("20020005", Convert.ToHexString((await MqttBytes.ReadPacketAsync(client.GetStream()))!));
        Assert.Equal(1, counted.Count);
    }

    [Theory]
    [InlineData(1, 0x40)]
    [InlineData(2, 0x50)]
    public async Task On_MQTT_5_a_failed_delivery_is_acknowledged_with_a_failure_reason_code(int qos, byte ackType)
    {
        using var failed = new DeviceResultCounter("mqtt", "failed");
        using var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect($"fail5-{qos}", 5), TestContext.Current.CancellationToken);
        Assert.Equal(0x00, (await MqttBytes.ReadPacketAsync(stream))![3]);

        await stream.WriteAsync(MqttBytes.Publish("t/fail", $"fail-5-{qos}", qos, 7, 5), TestContext.Current.CancellationToken);
        var ack = (await MqttBytes.ReadPacketAsync(stream))!;

        // PUBACK/PUBREC, packet 7, 0x99 payload format invalid (the service answered 400), then the reason string.
        Assert.Equal(ackType, ack[0]);
        Assert.Equal("000799", Convert.ToHexString(ack, 2, 3));
        Assert.Contains("destination refused the message", Encoding.UTF8.GetString(ack), StringComparison.Ordinal);
        Assert.Equal(1, failed.Count);

        // The connection stays up: the next message goes through.
        await stream.WriteAsync(MqttBytes.Publish("t/ok", $"ok-5-{qos}", 1, 8, 5), TestContext.Current.CancellationToken);
        Assert.Equal("40020008", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));
    }

    [Fact]
    public async Task Mosquitto_pub_on_MQTT_5_reports_the_failed_delivery()
    {
        var (code, output, error) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(DeviceFixture.FunnelOnly), "-V", "mqttv5", "-q", "1", "-t", "t", "-m", "fail-mosquitto-5", "-d"]);

        // mosquitto_pub exits 0 but reads the PUBACK's reason code and reason string.
        Assert.True(code == 0, error);
        Assert.Contains("received PUBACK (Mid: 1, RC:153)", output, StringComparison.Ordinal);
        Assert.Contains("Warning: Publish 1 failed: Payload format invalid.", error, StringComparison.Ordinal);
        Assert.Contains("destination refused the message", error, StringComparison.Ordinal);
        Assert.False(_f.Funnel.Has("fail-mosquitto-5"));
    }

    [Fact]
    public async Task On_MQTT_311_a_failed_delivery_gets_no_PUBACK_and_the_retry_after_reconnecting_is_acknowledged()
    {
        const string payload = RecordingDeviceService.FailOnceMarker + "-311";
        using (var first = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port))
        {
            await first.GetStream().WriteAsync(MqttBytes.Connect("retry-311", 4, clean: false), TestContext.Current.CancellationToken);
            Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(first.GetStream()))!));
            await first.GetStream().WriteAsync(MqttBytes.Publish("t/retry", payload, 1, 21, 4), TestContext.Current.CancellationToken);

            // No PUBACK: the connection ends instead.
            Assert.Null(await MqttBytes.ReadPacketAsync(first.GetStream()));
        }

        Assert.False(_f.Funnel.Has(payload));
        using var second = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        await second.GetStream().WriteAsync(MqttBytes.Connect("retry-311", 4, clean: false), TestContext.Current.CancellationToken);
        Assert.Equal(0x20, (await MqttBytes.ReadPacketAsync(second.GetStream()))![0]);
        await second.GetStream().WriteAsync(MqttBytes.Publish("t/retry", payload, 1, 21, 4, dup: true), TestContext.Current.CancellationToken);

        Assert.Equal("40020015", Convert.ToHexString((await MqttBytes.ReadPacketAsync(second.GetStream()))!));
        Assert.Single(await _f.Funnel.WaitForAsync(payload));
    }

    [Fact]
    public async Task Mosquitto_pub_on_MQTT_311_is_not_told_a_failed_message_was_delivered()
    {
        var (code, _, _) = await Mosquitto.RunAsync("mosquitto_pub",
            [.. Target(DeviceFixture.FunnelOnly), "-V", "mqttv311", "-q", "1", "-t", "t", "-m", "fail-mosquitto-311"]);

        Assert.NotEqual(0, code);
        Assert.False(_f.Funnel.Has("fail-mosquitto-311"));
    }

    [Fact]
    public async Task On_MQTT_311_a_failed_QoS_0_message_leaves_the_connection_up()
    {
        using var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect("qos0-311", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));

        await stream.WriteAsync(MqttBytes.Publish("t", "fail-qos0", 0, 0, 4), TestContext.Current.CancellationToken);
        await stream.WriteAsync(MqttBytes.Publish("t", "after-qos0", 1, 3, 4), TestContext.Current.CancellationToken);

        Assert.Equal("40020003", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));
    }

    [Theory]
    [InlineData(4, "90030005" + "80")]
    [InlineData(5, "905200054E" + "1F004B" + "746869732065" /* "this e…" */ + "87")]
    public async Task Subscribing_is_refused_this_endpoint_is_not_a_broker(byte level, string subAck)
    {
        using var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect($"sub-{level}", level), TestContext.Current.CancellationToken);
        Assert.Equal(0x20, (await MqttBytes.ReadPacketAsync(stream))![0]);

        await stream.WriteAsync(MqttBytes.Subscribe("#", 5, level), TestContext.Current.CancellationToken);
        var ack = (await MqttBytes.ReadPacketAsync(stream))!;

        // SUBACK for packet 5, one refusal per filter: 3.1.1's 0x80; MQTT 5's 0x87 not authorized after its reason
        // string property (0x1F, 75 bytes).
        var hex = Convert.ToHexString(ack);
        Assert.StartsWith(subAck[..^2], hex, StringComparison.Ordinal);
        Assert.EndsWith(subAck[^2..], hex, StringComparison.Ordinal);
        if (level == 5)
        {
            Assert.Contains("this endpoint delivers messages to services; it has nothing to subscribe to", Encoding.UTF8.GetString(ack), StringComparison.Ordinal);
        }

        // Refused, not cut off: the connection still takes messages.
        await stream.WriteAsync(MqttBytes.Publish("t", "after-subscribe", 1, 6, level), TestContext.Current.CancellationToken);
        Assert.Equal("40020006", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));
    }

    [Fact]
    public async Task A_client_ID_held_by_one_device_cannot_be_taken_over_by_another()
    {
        using var owner = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        await owner.GetStream().WriteAsync(MqttBytes.Connect("shared-id", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(owner.GetStream()))!));

        using var other = await MqttBytes.RawAsync(DeviceFixture.Both, Port);
        await other.GetStream().WriteAsync(MqttBytes.Connect("shared-id", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020002", Convert.ToHexString((await MqttBytes.ReadPacketAsync(other.GetStream()))!));

        await owner.GetStream().WriteAsync(MqttBytes.Publish("t", "owner-still-up", 1, 9, 4), TestContext.Current.CancellationToken);
        Assert.Equal("40020009", Convert.ToHexString((await MqttBytes.ReadPacketAsync(owner.GetStream()))!));
    }

    [Fact]
    public async Task The_same_device_connecting_again_while_its_old_connection_is_open_replaces_it()
    {
        // Common on cellular links: the device lost its connection, the gateway has not noticed yet.
        using var old = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        await old.GetStream().WriteAsync(MqttBytes.Connect("half-open", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(old.GetStream()))!));

        using var next = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        await next.GetStream().WriteAsync(MqttBytes.Connect("half-open", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(next.GetStream()))!));
        await next.GetStream().WriteAsync(MqttBytes.Publish("t", "after-replace", 1, 3, 4), TestContext.Current.CancellationToken);
        Assert.Equal("40020003", Convert.ToHexString((await MqttBytes.ReadPacketAsync(next.GetStream()))!));

        // The old connection was closed by the gateway (end of stream, nothing more to read).
        Assert.Null(await MqttBytes.ReadPacketAsync(old.GetStream()));
        Assert.Single(await _f.Funnel.WaitForAsync("after-replace"));
    }

    [Fact]
    public async Task A_device_reconnecting_as_its_last_connection_drops_keeps_its_client_ID()
    {
        // MQTTnet's clean-up of a connection whose loop has just ended stops "the client with this ID": when the
        // device has reconnected in that instant, that is the new connection, closed right after its CONNACK 0.
        // Without the fix, 100 rounds hit it about one run in three, so 300 are run. The endpoint now retires the
        // previous connection and waits for its clean-up before admitting the new one.
        for (var i = 0; i < 300; i++)
        {
            using var old = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
            await old.GetStream().WriteAsync(MqttBytes.Connect("reconnect-race", 4), TestContext.Current.CancellationToken);
            Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(old.GetStream()))!));

            old.Client.LingerState = new LingerOption(true, 0);
            old.Client.Close();
            using var next = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
            await next.GetStream().WriteAsync(MqttBytes.Connect("reconnect-race", 4), TestContext.Current.CancellationToken);
            var connAck = Convert.ToHexString((await MqttBytes.ReadPacketAsync(next.GetStream())) ?? []);
            Assert.True(connAck == "20020000", $"iteration {i}: CONNACK '{connAck}'");
            await next.GetStream().WriteAsync(MqttBytes.Publish("t/race", $"race-{i}", 1, 5, 4), TestContext.Current.CancellationToken);

            var ack = Convert.ToHexString((await MqttBytes.ReadPacketAsync(next.GetStream())) ?? []);
            Assert.True(ack == "40020005", $"iteration {i}: no PUBACK but '{ack}'");
        }
    }

    [Fact]
    public async Task MQTTnet_over_WebSocket_at_mqtt_on_the_device_http_port_delivers_and_gets_failure_reason_codes()
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{_f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/mqtt"))
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("ws-client")
            .Build();
        await client.ConnectAsync(options, TestContext.Current.CancellationToken);

        var ok = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("ws/t").WithPayload("ws-ok").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);
        var failed = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("ws/t").WithPayload("ws-fail").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce).Build(), TestContext.Current.CancellationToken);

        Assert.Equal(MqttClientPublishReasonCode.Success, ok.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, failed.ReasonCode);
        var message = Assert.Single(await _f.Funnel.WaitForAsync("ws-ok"));
        Assert.Equal("mqtt-ws", message.EntryPoint);
        Assert.Equal("ws/t", message.Topic);
        Assert.Equal("440109999000070", message.Subscriber.Imsi);
        await client.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_unknown_device_over_WebSocket_gets_the_not_authorized_CONNACK()
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = static async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(DeviceFixture.Unknown), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("mqtt");
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/mqtt"), invoker, TestContext.Current.CancellationToken);
        Assert.Equal("mqtt", ws.SubProtocol);

        await ws.SendAsync(MqttBytes.Connect("ws-unknown", 4), WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
        var buffer = new byte[16];
        var received = await ws.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        Assert.Equal("20020005", Convert.ToHexString(buffer, 0, received.Count));
    }

    [Fact]
    public async Task Over_WebSocket_a_packet_announcing_more_than_the_limit_closes_the_connection_too()
    {
        using var tooLarge = new DeviceResultCounter("mqtt-ws", "too_large");
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("mqtt");
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_f.Gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/mqtt"), TestContext.Current.CancellationToken);
        await ws.SendAsync(MqttBytes.Connect("ws-big", 4), WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
        var buffer = new byte[16];
        var received = await ws.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString(buffer, 0, received.Count));

        // PUBLISH announcing 2,000,000 bytes (varint 80 89 7A), its header alone, split over two WebSocket messages.
        await ws.SendAsync(new byte[] { 0x30, 0x80 }, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
        await ws.SendAsync(new byte[] { 0x89, 0x7A, 0x00, 0x01, (byte)'t' }, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);

        // The gateway closes the WebSocket (a close message, or the connection itself).
        try
        {
            var closing = await ws.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        }
        catch (WebSocketException)
        {
        }

        Assert.Equal(1, tooLarge.Count);
    }

    [Fact]
    public async Task A_registry_change_applies_to_the_next_PUBLISH_of_an_open_connection()
    {
        using var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect("change-5", 5), TestContext.Current.CancellationToken);
        Assert.Equal(0x00, (await MqttBytes.ReadPacketAsync(stream))![3]);
        await stream.WriteAsync(MqttBytes.Publish("t", "before-change", 1, 1, 5), TestContext.Current.CancellationToken);
        Assert.Equal("40020001", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));

        using var admin = await _f.Gateway.LoginAsync();
        (await admin.DeleteAsync(_f.Gateway.Url("/v1/subscribers/440109999000071"), TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        await stream.WriteAsync(MqttBytes.Publish("t", "after-change", 1, 2, 5), TestContext.Current.CancellationToken);
        var ack = (await MqttBytes.ReadPacketAsync(stream))!;

        Assert.Equal("40", Convert.ToHexString(ack, 0, 1));
        Assert.Equal("000287", Convert.ToHexString(ack, 2, 3));
        Assert.False(_f.Funnel.Has("after-change"));
    }

    [Fact]
    public async Task A_will_message_of_a_device_that_drops_is_delivered_as_a_device_message()
    {
        using (var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port))
        {
            await client.GetStream().WriteAsync(MqttBytes.Connect("will-311", 4, will: ("status/gone", "will-dropped")), TestContext.Current.CancellationToken);
            Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(client.GetStream()))!));
            client.Client.LingerState = new LingerOption(true, 0);
        }

        var message = Assert.Single(await _f.Funnel.WaitForAsync("will-dropped"));
        Assert.Equal("status/gone", message.Topic);
        Assert.Equal("440109999000071", message.Subscriber.Imsi);
    }

    [Fact]
    public async Task A_packet_announcing_more_than_the_limit_closes_the_connection_before_it_is_buffered()
    {
        using var tooLarge = new DeviceResultCounter("mqtt", "too_large");
        using var client = await MqttBytes.RawAsync(DeviceFixture.FunnelOnly, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(MqttBytes.Connect("big-311", 4), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));

        // A large message within the limit is delivered and acknowledged.
        var large = "large-" + new string('x', 700_000);
        await stream.WriteAsync(MqttBytes.Publish("t/large", large, 1, 4, 4), TestContext.Current.CancellationToken);
        Assert.Equal("40020004", Convert.ToHexString((await MqttBytes.ReadPacketAsync(stream))!));
        Assert.Equal(700_006, (await _f.Funnel.WaitForAsync("large-"))[0].Payload.Length);

        // PUBLISH QoS 0 announcing 2,000,000 bytes (varint 80 89 7A): only the header is sent.
        await stream.WriteAsync(new byte[] { 0x30, 0x80, 0x89, 0x7A, 0x00, 0x01, (byte)'t' }, TestContext.Current.CancellationToken);

        Assert.Null(await MqttBytes.ReadPacketAsync(stream));
        Assert.Equal(1, tooLarge.Count);
    }
}
