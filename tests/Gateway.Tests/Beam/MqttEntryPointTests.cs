using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>
/// The MQTT entry point against real mosquitto brokers and clients on loopback: relaying both ways with the IMSI
/// topic suffix, and every CONNACK refusal as exact bytes from raw sockets bound to a chosen source address.
/// </summary>
public sealed class MqttEntryPointTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private Mosquitto _broker = null!;
    private Mosquitto _secured = null!;
    private Mosquitto _tls = null!;

    public async ValueTask InitializeAsync()
    {
        _broker = await Mosquitto.StartAsync();
        _secured = await Mosquitto.StartAsync("gw", "gw-secret");
        _tls = await Mosquitto.StartAsync(tls: true);
        var closed = GatewayProcess.ClosedPort();
        var ca = System.Text.Json.JsonSerializer.Serialize(TestCertificates.CaPem);
        var cert = System.Text.Json.JsonSerializer.Serialize(TestCertificates.ClientCertPem);
        var key = System.Text.Json.JsonSerializer.Serialize(TestCertificates.ClientKeyPem);
        var seed = $$"""
            {
              "groups": [
                { "groupId": "g-mq", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_broker.Port}}", "enabled": true, "addSubscriberHeader": true } } } },
                { "groupId": "g-mq-plain", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_broker.Port}}", "enabled": true } } } },
                { "groupId": "g-mq-anon", "configuration": {
                    "GatewayIdentity": { "ipRanges": ["127.0.10.0/24"] },
                    "SoracomBeam": {
                      "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_broker.Port}}", "enabled": true, "addSubscriberHeader": true } } } },
                { "groupId": "g-mq-cred", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_secured.Port}}", "enabled": true, "username": "gw", "password": "gw-secret" } } } },
                { "groupId": "g-mq-pass", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_secured.Port}}", "enabled": true, "useClientCredentials": true } } } },
                { "groupId": "g-mq-tls", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtts://127.0.0.1:{{_tls.Port}}", "enabled": true, "caCertificate": {{ca}},
                      "addSubscriberHeader": true, "useClientCert": true, "clientCerts": { "default": { "cert": {{cert}}, "key": {{key}} } } } } } },
                { "groupId": "g-mq-tls-nocert", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtts://127.0.0.1:{{_tls.Port}}", "enabled": true, "caCertificate": {{ca}} } } } },
                { "groupId": "g-mq-tls-untrusted", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtts://127.0.0.1:{{_tls.Port}}", "enabled": true,
                      "useClientCert": true, "clientCerts": { "default": { "cert": {{cert}}, "key": {{key}} } } } } } },
                { "groupId": "g-mq-down", "configuration": { "SoracomBeam": {
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{closed}}", "enabled": true } } } },
                { "groupId": "g-mq-none", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:{{closed}}", "enabled": true },
                    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_broker.Port}}", "enabled": false } } } }
              ],
              "subscribers": [
                { "imsi": "440101234567051", "groupId": "g-mq", "ipAddress": "127.0.0.1" },
                { "imsi": "440101234567052", "groupId": "g-mq", "ipAddress": "127.0.0.52" },
                { "imsi": "440101234567053", "groupId": "g-mq-cred", "ipAddress": "127.0.0.53" },
                { "imsi": "440101234567054", "groupId": "g-mq-pass", "ipAddress": "127.0.0.54" },
                { "imsi": "440101234567055", "groupId": "g-mq-down", "ipAddress": "127.0.0.55" },
                { "imsi": "440101234567056", "groupId": "g-mq-none", "ipAddress": "127.0.0.56" },
                { "imsi": "440101234567057", "groupId": "g-mq-plain", "ipAddress": "127.0.0.57" },
                { "imsi": "440101234567058", "groupId": "g-mq-tls", "ipAddress": "127.0.0.58" },
                { "imsi": "440101234567059", "groupId": "g-mq-tls-nocert", "ipAddress": "127.0.0.59" },
                { "imsi": "440101234567060", "groupId": "g-mq-tls-untrusted", "ipAddress": "127.0.0.60" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _broker.DisposeAsync();
        await _secured.DisposeAsync();
        await _tls.DisposeAsync();
    }

    private string[] Gateway() => ["-h", "127.0.0.1", "-p", _gateway.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [Fact]
    public async Task Mosquitto_pub_through_the_gateway_arrives_at_the_broker_with_the_imsi_appended_to_the_topic()
    {
        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", [.. Gateway(), "-i", "dev51", "-t", "sensors/t1", "-m", "21.5", "-q", "1", "-r"]);

        Assert.True(code == 0, error);
        Assert.Equal("sensors/t1/440101234567051 21.5", await _broker.RetainedAsync("sensors/#"));
    }

    [Fact]
    public async Task Without_addSubscriberHeader_or_for_an_anonymous_device_the_topic_is_unchanged()
    {
        using (var plain = await ConnectedAsync("127.0.0.57", "dev57"))
        {
            await plain.GetStream().WriteAsync(Publish("plain/t", "p", retain: true), TestContext.Current.CancellationToken);
            await plain.GetStream().WriteAsync(s_disconnect, TestContext.Current.CancellationToken);
            await AssertClosedAsync(plain);
        }

        using (var anon = await ConnectedAsync("127.0.10.7", "anon7"))
        {
            await anon.GetStream().WriteAsync(Publish("anon/t", "a", retain: true), TestContext.Current.CancellationToken);
            await anon.GetStream().WriteAsync(s_disconnect, TestContext.Current.CancellationToken);
            await AssertClosedAsync(anon);
        }

        Assert.Equal("plain/t p", await _broker.RetainedAsync("plain/#"));
        Assert.Equal("anon/t a", await _broker.RetainedAsync("anon/#"));
    }

    [Fact]
    public async Task Subscribing_through_the_gateway_receives_what_is_published_at_the_broker()
    {
        var psi = new ProcessStartInfo("mosquitto_sub") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[.. Gateway(), "-i", "sub51", "-t", "cmd/dev51", "-C", "1", "-W", "20"])
        {
            psi.ArgumentList.Add(a);
        }

        using var sub = Process.Start(psi)!;
        var output = sub.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);

        // The subscription is in place at some moment after start: publish until the subscriber has its message.
        for (var i = 0; i < 60 && !sub.HasExited; i++)
        {
            await Mosquitto.RunAsync("mosquitto_pub", [.. _broker.Args(), "-t", "cmd/dev51", "-m", "reboot"]);
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        await sub.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal("reboot\n", await output);
    }

    [Fact]
    public async Task A_message_larger_than_one_read_reaches_the_subscribed_device_whole()
    {
        // The broker→device side waits without a buffer and reads at most 4 KiB at a time into the device's pipe:
        // 100,000 bytes arrive over many reads and must come out as one unchanged message.
        var payload = string.Concat(Enumerable.Range(0, 10_000).Select(static i => i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)));
        var psi = new ProcessStartInfo("mosquitto_sub") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[.. Gateway(), "-i", "sub51-large", "-t", "cmd/dev51-large", "-C", "1", "-W", "20"])
        {
            psi.ArgumentList.Add(a);
        }

        using var sub = Process.Start(psi)!;
        var output = sub.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 60 && !sub.HasExited; i++)
        {
            await Mosquitto.RunAsync("mosquitto_pub", [.. _broker.Args(), "-t", "cmd/dev51-large", "-m", payload]);
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        await sub.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal(payload + "\n", await output);
    }

    [Fact]
    public async Task Qos1_publish_keeps_retain_packet_id_and_payload_when_the_longer_topic_needs_a_second_length_byte()
    {
        // 2 + 6 + 2 + 110 = 120 remaining bytes: one length byte from the device, two once "/<imsi>" is added.
        var payload = new string('x', 100) + "0123456789";
        using var client = await ConnectedAsync("127.0.0.52", "dev52");
        var stream = client.GetStream();
        var publish = Publish("raw/q1", payload, qos: 1, packetId: 0x0102, retain: true);
        Assert.Equal(120, publish[1]);
        await stream.WriteAsync(publish, TestContext.Current.CancellationToken);

        Assert.Equal("40020102", Convert.ToHexString(await ReadExactlyAsync(stream, 4)));
        Assert.Equal("raw/q1/440101234567052 " + payload, await _broker.RetainedAsync("raw/#"));
    }

    [Fact]
    public async Task Closing_the_device_connection_ends_the_broker_session_and_the_broker_publishes_the_will()
    {
        using (var client = await ConnectedAsync("127.0.0.52", "will52", will: ("will/dev52", "gone")))
        {
            client.Client.Shutdown(SocketShutdown.Both);
        }

        string will = "";
        for (var i = 0; i < 20 && will.Length == 0; i++)
        {
            will = await _broker.RetainedAsync("will/#");
        }

        // The will is the device's own, on its own topic: only PUBLISH topics get the IMSI.
        Assert.Equal("will/dev52 gone", will);
    }

    [Fact]
    public async Task Unknown_source_address_gets_connack_not_authorized_and_the_connection_closes()
    {
        using var client = await RawAsync("127.0.0.99");
        await client.GetStream().WriteAsync(Connect("stranger"), TestContext.Current.CancellationToken);

        Assert.Equal("20020005", Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 4)));
        await AssertClosedAsync(client);
    }

    [Fact]
    public async Task Group_without_an_enabled_mqtt_entry_gets_not_authorized()
    {
        Assert.Equal("20020005", await ConnAckAsync("127.0.0.56", Connect("dev56")));
    }

    [Fact]
    public async Task Mqtt5_connect_gets_unacceptable_protocol_version()
    {
        Assert.Equal("20020001", await ConnAckAsync("127.0.0.52", Connect("dev52-v5", level: 5)));
    }

    [Fact]
    public async Task Mqtt31_connect_is_accepted()
    {
        Assert.Equal("20020000", await ConnAckAsync("127.0.0.52", Connect("dev52-v3", level: 3)));
    }

    [Theory]
    [InlineData(1, "20020005")]
    [InlineData(4, "20020005")]
    [InlineData(1201, "20020005")]
    [InlineData(65535, "20020005")]
    [InlineData(0, "20020000")]
    [InlineData(5, "20020000")]
    [InlineData(1200, "20020000")]
    public async Task Keepalive_must_be_0_or_5_to_1200(int keepAlive, string connAck)
    {
        Assert.Equal(connAck, await ConnAckAsync("127.0.0.52", Connect("ka" + keepAlive, keepAlive: (ushort)keepAlive)));
    }

    [Fact]
    public async Task Mqtts_upstream_with_the_entry_ca_and_client_certificate_relays_both_ways()
    {
        using var client = await ConnectedAsync("127.0.0.58", "dev58");
        var stream = client.GetStream();

        // Subscribe through the TLS session to what this device itself publishes (with its IMSI appended).
        byte[] subscribe = [0x82, 0x1A, 0x00, 0x07, 0x00, 0x15, .. "tls/t/440101234567058"u8, 0x00];
        Assert.Equal(subscribe.Length - 2, subscribe[1]);
        await stream.WriteAsync(subscribe, TestContext.Current.CancellationToken);
        Assert.Equal("9003000700", Convert.ToHexString(await ReadExactlyAsync(stream, 5)));

        await stream.WriteAsync(Publish("tls/t", "over tls"), TestContext.Current.CancellationToken);
        var expected = Publish("tls/t/440101234567058", "over tls");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(await ReadExactlyAsync(stream, expected.Length)));
    }

    [Fact]
    public async Task Mqtts_upstream_without_the_client_certificate_or_the_ca_gets_server_unavailable()
    {
        Assert.Equal("20020003", await ConnAckAsync("127.0.0.59", Connect("dev59")));
        Assert.Equal("20020003", await ConnAckAsync("127.0.0.60", Connect("dev60")));
    }

    [Fact]
    public async Task Broker_down_gets_server_unavailable()
    {
        Assert.Equal("20020003", await ConnAckAsync("127.0.0.55", Connect("dev55")));
    }

    [Fact]
    public async Task Broker_refusal_is_relayed_with_its_own_return_code()
    {
        // An empty client ID without clean session: mosquitto answers 0x02 (identifier rejected), a code the
        // gateway itself never sends.
        Assert.Equal("20020002", await ConnAckAsync("127.0.0.52", Connect("", clean: false)));
    }

    [Fact]
    public async Task Entry_username_and_password_reach_a_broker_that_requires_them()
    {
        Assert.Equal("20020000", await ConnAckAsync("127.0.0.53", Connect("dev53")));

        // The device's own credentials are not what got it in: they are replaced by the entry's.
        Assert.Equal("20020000", await ConnAckAsync("127.0.0.53", Connect("dev53b", user: "gw", password: "wrong")));
    }

    [Fact]
    public async Task With_useClientCredentials_the_devices_own_credentials_reach_the_broker()
    {
        Assert.Equal("20020000", await ConnAckAsync("127.0.0.54", Connect("dev54", user: "gw", password: "gw-secret")));
        Assert.Equal("20020005", await ConnAckAsync("127.0.0.54", Connect("dev54b", user: "gw", password: "wrong")));
        Assert.Equal("20020005", await ConnAckAsync("127.0.0.54", Connect("dev54c")));
    }

    [Theory]
    [InlineData("10FFFFFFFF01")] // a fifth remaining-length byte
    [InlineData("C000")] // PINGREQ before CONNECT
    [InlineData("100C00044D51545504" + "02003C0000")] // protocol name "MQTU"
    [InlineData("1003000400")] // CONNECT cut short inside its own length
    [InlineData("10FFFF7F")] // CONNECT announcing 2 MB, more than any valid CONNECT
    [InlineData("474554202F20485454502F312E310D0A0D0A")] // HTTP
    public async Task Malformed_first_packet_closes_the_connection_without_a_connack_and_others_are_still_served(string hex)
    {
        using (var client = await RawAsync("127.0.0.52"))
        {
            await client.GetStream().WriteAsync(Convert.FromHexString(hex), TestContext.Current.CancellationToken);
            await AssertClosedAsync(client);
        }

        Assert.Equal("20020000", await ConnAckAsync("127.0.0.52", Connect("after-" + hex[..4])));
    }

    [Fact]
    public async Task A_session_is_cut_after_one_and_a_half_keepalives_without_a_packet_from_the_device()
    {
        using var client = await RawAsync("127.0.0.52");
        await client.GetStream().WriteAsync(Connect("idle52", keepAlive: 5), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 4)));

        // A PINGREQ restarts the clock, and its PINGRESP comes from the broker.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        await client.GetStream().WriteAsync(new byte[] { 0xC0, 0x00 }, TestContext.Current.CancellationToken);
        Assert.Equal("D000", Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 2)));
        var started = Stopwatch.StartNew();
        await AssertClosedAsync(client);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(6.5), TimeSpan.FromSeconds(9.5));
    }

    [Fact]
    public async Task When_the_gateway_stops_an_idle_relayed_session_is_ended_without_waiting_the_shutdown_grace()
    {
        // Keepalive 1,200 s: the device would stay for 30 minutes; the shutdown grace is 30 s.
        using var client = await RawAsync("127.0.0.52");
        await client.GetStream().WriteAsync(Connect("stop52", keepAlive: 1200, will: ("will/stop52", "cut-at-stop")), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 4)));

        var stopping = _gateway.StopAsync();

        await AssertClosedAsync(client);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        // The broker saw the session end without a DISCONNECT, as for a device that dropped: it published the will.
        string will = "";
        for (var i = 0; i < 20 && will.Length == 0; i++)
        {
            will = await _broker.RetainedAsync("will/stop52");
        }

        Assert.Equal("will/stop52 cut-at-stop", will);
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_the_connect_timeout()
    {
        var previous = global::Gateway.Beam.Mqtt.MqttConnectionHandler.ConnectTimeout;
        global::Gateway.Beam.Mqtt.MqttConnectionHandler.ConnectTimeout = TimeSpan.FromSeconds(1);
        try
        {
            using var client = await RawAsync("127.0.0.52");
            var started = Stopwatch.StartNew();
            await AssertClosedAsync(client);
            Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(8));
        }
        finally
        {
            global::Gateway.Beam.Mqtt.MqttConnectionHandler.ConnectTimeout = previous;
        }
    }

    private async Task<TcpClient> RawAsync(string source)
    {
        var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.MqttPort, TestContext.Current.CancellationToken);
        return client;
    }

    /// <summary>Sends one CONNECT from a source address; the CONNACK as hex.</summary>
    private async Task<string> ConnAckAsync(string source, byte[] connect)
    {
        using var client = await RawAsync(source);
        await client.GetStream().WriteAsync(connect, TestContext.Current.CancellationToken);
        var connAck = Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 4));
        if (connAck == "20020000")
        {
            await client.GetStream().WriteAsync(s_disconnect, TestContext.Current.CancellationToken);
        }

        await AssertClosedAsync(client);
        return connAck;
    }

    private async Task<TcpClient> ConnectedAsync(string source, string clientId, (string Topic, string Message)? will = null)
    {
        var client = await RawAsync(source);
        await client.GetStream().WriteAsync(Connect(clientId, will: will), TestContext.Current.CancellationToken);
        Assert.Equal("20020000", Convert.ToHexString(await ReadExactlyAsync(client.GetStream(), 4)));
        return client;
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>The gateway closes the connection: end of stream (or a reset) within 10 s, with no byte before it.</summary>
    private static async Task AssertClosedAsync(TcpClient client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var n = await client.GetStream().ReadAsync(new byte[16], timeout.Token);
            Assert.Equal(0, n);
        }
        catch (IOException)
        {
        }
    }

    private static readonly byte[] s_disconnect = [0xE0, 0x00];

    /// <summary>A CONNECT built by hand from MQTT 3.1.1 §3.1 (level 5 adds an empty property list; level 3 is "MQIsdp").</summary>
    private static byte[] Connect(string clientId, ushort keepAlive = 30, byte level = 4, bool clean = true, string? user = null, string? password = null, (string Topic, string Message)? will = null)
    {
        var body = new List<byte>();
        String(body, level == 3 ? "MQIsdp" : "MQTT");
        body.Add(level);
        var flags = (clean ? 0x02 : 0) | (will is null ? 0 : 0x04 | 0x20) | (user is null ? 0 : 0x80) | (password is null ? 0 : 0x40);
        body.Add((byte)flags);
        body.Add((byte)(keepAlive >> 8));
        body.Add((byte)keepAlive);
        if (level == 5)
        {
            body.Add(0);
        }

        String(body, clientId);
        if (will is { } w)
        {
            String(body, w.Topic);
            String(body, w.Message);
        }

        if (user is not null)
        {
            String(body, user);
        }

        if (password is not null)
        {
            String(body, password);
        }

        return Packet(0x10, body);
    }

    private static byte[] Publish(string topic, string payload, int qos = 0, ushort packetId = 0, bool retain = false)
    {
        var body = new List<byte>();
        String(body, topic);
        if (qos > 0)
        {
            body.Add((byte)(packetId >> 8));
            body.Add((byte)packetId);
        }

        body.AddRange(Encoding.UTF8.GetBytes(payload));
        return Packet((byte)(0x30 | (qos << 1) | (retain ? 1 : 0)), body);
    }

    private static byte[] Packet(byte first, List<byte> body) => Infrastructure.MqttPacketWriter.Packet(first, body);

    private static void String(List<byte> body, string value) => Infrastructure.MqttPacketWriter.String(body, value);
}
