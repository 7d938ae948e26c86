using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Framing;
using Gateway.Signing.Soracom;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>UDP→HTTP, TCP→HTTP (with and without Binary Format v1) and TCP→TCP, driven by socat and raw sockets.</summary>
public sealed class TcpUdpEntryPointTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private readonly EchoServer _echo = new();
    private readonly EchoServer _idleEcho = new();
    private RecordingUpstream _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var up = _upstream.BaseUri.ToString().TrimEnd('/');
        var closed = GatewayProcess.ClosedPort();
        var seed = $$"""
            {
              "groups": [
                { "groupId": "g-v1", "configuration": { "SoracomBeam": {
                    "udp://beam.soracom.io:23080": { "destination": "{{up}}/udp", "enabled": true, "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" },
                    "tcp://beam.soracom.io:23080": { "destination": "{{up}}/tcp", "enabled": true, "addSubscriberHeader": true } } } },
                { "groupId": "g-v2", "configuration": { "SoracomBeam": {
                    "udp://beam.soracom.io:23080": { "destination": "{{up}}/udp2", "enabled": true, "version": "202411" },
                    "tcp://beam.soracom.io:23080": { "destination": "{{up}}/tcp2", "enabled": true, "version": "202411" } } } },
                { "groupId": "g-skip", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:23080": { "destination": "{{up}}/skip", "enabled": true, "skipStatusCode": true, "eodBytes": "0d0a" } } } },
                { "groupId": "g-bf", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:23080": { "destination": "{{up}}/bf", "enabled": true, "binaryFormatV1Enabled": true } } } },
                { "groupId": "g-relay", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:{{_echo.Port}}", "enabled": true,
                      "addSubscriberHeader": true, "addEquipmentHeader": true, "addSignature": true, "psk": "topsecret" } } } },
                { "groupId": "g-parser", "configuration": {
                    "SoracomAir": { "binaryParserEnabled": true, "binaryParserFormat": "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32" },
                    "SoracomBeam": {
                      "udp://beam.soracom.io:23080": { "destination": "{{up}}/parsed", "enabled": true },
                      "tcp://beam.soracom.io:23080": { "destination": "{{up}}/parsed", "enabled": true } } } },
                { "groupId": "g-anon", "configuration": {
                    "GatewayIdentity": { "ipRanges": ["127.0.8.0/24"] },
                    "SoracomBeam": {
                      "udp://beam.soracom.io:23080": { "destination": "{{up}}/anon", "enabled": true, "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" },
                      "tcp://beam.soracom.io:23080": { "destination": "{{up}}/anon", "enabled": true, "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } },
                { "groupId": "g-relay-idle", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:{{_idleEcho.Port}}", "enabled": true, "addSubscriberHeader": true } } } },
                { "groupId": "g-relay-down", "configuration": { "SoracomBeam": {
                    "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:{{closed}}", "enabled": true } } } }
              ],
              "subscribers": [
                { "imsi": "440101234567031", "groupId": "g-v1", "ipAddress": "127.0.0.31" },
                { "imsi": "440101234567032", "groupId": "g-v2", "ipAddress": "127.0.0.32" },
                { "imsi": "440101234567033", "groupId": "g-skip", "ipAddress": "127.0.0.33" },
                { "imsi": "440101234567034", "groupId": "g-bf", "ipAddress": "127.0.0.34" },
                { "imsi": "440101234567035", "imei": "353000000000035", "groupId": "g-relay", "ipAddress": "127.0.0.35" },
                { "imsi": "440101234567036", "groupId": "g-relay-down", "ipAddress": "127.0.0.36" },
                { "imsi": "440101234567037", "groupId": "g-parser", "ipAddress": "127.0.0.37" },
                { "imsi": "440101234567038", "groupId": "g-relay-idle", "ipAddress": "127.0.0.38" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:Beam:TcpIdleSeconds", "3");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _echo.DisposeAsync();
        await _idleEcho.DisposeAsync();
    }

    private string Udp(string source) => $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={source}";

    private string Tcp(string source, int? port = null) => $"TCP:127.0.0.1:{port ?? _gateway.UnifiedPort},bind={source}";

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Fact]
    public async Task Udp_datagram_becomes_a_signed_json_post_and_the_reply_a_datagram()
    {
        var reply = await Socat.RunAsync(Encoding.UTF8.GetBytes("test message\n"), Udp("127.0.0.31"), waitSeconds: 1);

        Assert.Equal("200 pong", Text(reply));
        var r = _upstream.Single();
        Assert.Equal("POST", r.Method);
        Assert.Equal("/udp", r.Path);
        Assert.Equal("{\"payload\":\"dGVzdCBtZXNzYWdlCg==\"}", r.Body);
        Assert.Equal("SORACOM Beam", r.Headers["user-agent"]);
        Assert.Equal("application/json", r.Headers["content-type"]);
        Assert.Equal("440101234567031", r.Headers["x-soracom-imsi"]);
        Assert.Equal("ok", r.SignatureVerdict);
    }

    [Fact]
    public async Task Group_binary_parser_turns_the_payload_into_json_for_udp_and_tcp()
    {
        var payload = Convert.FromHexString("8007F85F420EADFF430BBE86");
        const string expected = "{\"flag\":true,\"temp\":25.5,\"humid\":0.95,\"lat\":35.669918060302734,\"long\":139.74423217773438,\"binaryParserEnabled\":true}";

        Assert.Equal("200 pong", Text(await Socat.RunAsync(payload, Udp("127.0.0.37"), waitSeconds: 1)));
        Assert.Equal(expected, _upstream.Single().Body);

        Assert.Equal("200 pong\n", Text(await Socat.RunAsync(payload, Tcp("127.0.0.37"))));
        Assert.Equal(expected, _upstream.Single().Body);
    }

    [Fact]
    public async Task Devices_in_a_group_range_post_anonymously_over_udp_and_tcp()
    {
        Assert.Equal("200 pong", Text(await Socat.RunAsync("u"u8.ToArray(), Udp("127.0.8.9"), waitSeconds: 1)));
        var udp = _upstream.Single();
        Assert.Equal("/anon", udp.Path);
        Assert.Equal("{\"payload\":\"dQ==\"}", udp.Body);
        Assert.DoesNotContain(udp.Headers.Keys, static h => h.StartsWith("x-soracom-", StringComparison.OrdinalIgnoreCase));

        Assert.Equal("200 pong\n", Text(await Socat.RunAsync("t"u8.ToArray(), Tcp("127.0.8.10"))));
        var tcp = _upstream.Single();
        Assert.Equal("{\"payload\":\"dA==\"}", tcp.Body);
        Assert.DoesNotContain(tcp.Headers.Keys, static h => h.StartsWith("x-soracom-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Udp_from_an_unknown_device_is_refused_with_403()
    {
        Assert.Equal("403 device not recognised", Text(await Socat.RunAsync("x"u8.ToArray(), Udp("127.0.0.99"), waitSeconds: 1)));
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Upstream_error_in_201509_is_the_documented_sentence()
    {
        _upstream.Reply = (400, "Message from server");
        var reply = Text(await Socat.RunAsync("x"u8.ToArray(), Udp("127.0.0.31"), waitSeconds: 1));
        Assert.Equal($"400 {_upstream.BaseUri}udp returns a status code (400). Please check your destination.\r\n", reply);
    }

    [Fact]
    public async Task Upstream_error_in_202411_relays_the_body()
    {
        _upstream.Reply = (400, "Message from server");
        Assert.Equal("400 Message from server", Text(await Socat.RunAsync("x"u8.ToArray(), Udp("127.0.0.32"), waitSeconds: 1)));
        Assert.Equal("400 Message from server", Text(await Socat.RunAsync("x"u8.ToArray(), Tcp("127.0.0.32"))));
    }

    [Fact]
    public async Task Tcp_reply_in_201509_ends_with_lf()
    {
        Assert.Equal("200 pong\n", Text(await Socat.RunAsync("ping"u8.ToArray(), Tcp("127.0.0.31"))));
        Assert.Equal("{\"payload\":\"cGluZw==\"}", _upstream.Single().Body);
    }

    [Fact]
    public async Task Tcp_reply_in_202411_has_no_eod()
    {
        Assert.Equal("200 pong", Text(await Socat.RunAsync("ping"u8.ToArray(), Tcp("127.0.0.32"))));
    }

    [Fact]
    public async Task Skip_status_code_and_custom_eod()
    {
        Assert.Equal("pong\r\n", Text(await Socat.RunAsync("ping"u8.ToArray(), Tcp("127.0.0.33"))));
        _upstream.Reply = (204, "");
        Assert.Equal("", Text(await Socat.RunAsync("ping"u8.ToArray(), Tcp("127.0.0.33"))));
    }

    [Fact]
    public async Task Empty_upstream_body_gives_the_bare_status()
    {
        _upstream.Reply = (204, "");
        Assert.Equal("204\n", Text(await Socat.RunAsync("ping"u8.ToArray(), Tcp("127.0.0.31"))));
    }

    private static async Task<(TcpClient Client, NetworkStream Stream)> ConnectAsync(string source, int port)
    {
        var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        return (client, client.GetStream());
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string end)
    {
        var all = new StringBuilder();
        var buffer = new byte[1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!all.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            all.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return all.ToString();
    }

    [Fact]
    public async Task Binary_format_v1_frames_split_across_writes_become_one_post_each()
    {
        var (client, stream) = await ConnectAsync("127.0.0.34", _gateway.UnifiedPort);
        using (client)
        {
            var frame = BinaryFormatV1.Encode([1, 2, 3, 4, 5, 6]);
            Assert.Equal(new byte[] { 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0x49, 0x17 }, frame);
            await stream.WriteAsync(frame.AsMemory(0, 3), TestContext.Current.CancellationToken);
            await stream.FlushAsync(TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
            await stream.WriteAsync(frame.AsMemory(3), TestContext.Current.CancellationToken);
            Assert.Equal("200 pong\n", await ReadUntilAsync(stream, "\n"));
            Assert.Equal("{\"payload\":\"AQIDBAUG\"}", _upstream.Single().Body);

            var bad = BinaryFormatV1.Encode([9, 9]);
            bad[^1] ^= 0xFF;
            await stream.WriteAsync(bad.Concat(BinaryFormatV1.Encode([7])).ToArray(), TestContext.Current.CancellationToken);
            Assert.Equal("400 invalid Binary Format v1 frame: CRC mismatch\n200 pong\n", await ReadUntilAsync(stream, "pong\n"));
            Assert.Equal("{\"payload\":\"Bw==\"}", _upstream.Single().Body);
        }
    }

    [Fact]
    public async Task Tcp_connection_stays_open_for_more_messages()
    {
        var (client, stream) = await ConnectAsync("127.0.0.31", _gateway.UnifiedPort);
        using (client)
        {
            await stream.WriteAsync("one"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.Equal("200 pong\n", await ReadUntilAsync(stream, "\n"));
            await stream.WriteAsync("two"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.Equal("200 pong\n", await ReadUntilAsync(stream, "\n"));
            Assert.Equal(2, _upstream.Requests.Count);
        }
    }

    [Fact]
    public async Task Idle_tcp_to_http_connection_is_closed_after_the_idle_time()
    {
        using var idles = new BeamResultCounter("idle_timeout");
        var (client, stream) = await ConnectAsync("127.0.0.31", _gateway.UnifiedPort);
        using (client)
        {
            await stream.WriteAsync("one"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.Equal("200 pong\n", await ReadUntilAsync(stream, "\n"));

            // Then nothing from the device: closed after the idle time (3 s here), with nothing more sent to it.
            var idle = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(string.Empty, await ReadUntilAsync(stream, "\n"));
            Assert.InRange(idle.Elapsed, TimeSpan.FromMilliseconds(2500), TimeSpan.FromSeconds(10));
            Assert.True(idles.Count >= 1, "the idle cut is counted");
        }
    }

    [Fact]
    public async Task Idle_tcp_relay_closes_both_sides_after_the_idle_time()
    {
        var (client, stream) = await ConnectAsync("127.0.0.38", _gateway.TcpPort);
        using (client)
        {
            // The upstream echoes the identity first line; then nothing moves either way.
            Assert.Equal("imsi=440101234567038", (await ReadUntilAsync(stream, "\n")).Split(' ')[0]);
            var idle = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(string.Empty, await ReadUntilAsync(stream, "\n"));
            Assert.InRange(idle.Elapsed, TimeSpan.FromMilliseconds(2500), TimeSpan.FromSeconds(10));

            // The upstream's connection was closed too: its read ended with everything it got, the first line.
            var received = await _idleEcho.Received.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.StartsWith("imsi=440101234567038 ", received);
        }
    }

    [Fact]
    public async Task Tcp_relay_writes_the_signed_first_line_then_relays_both_ways_with_half_close()
    {
        var reply = Text(await Socat.RunAsync("hello upstream\n"u8.ToArray(), Tcp("127.0.0.35", _gateway.TcpPort)));

        var received = await _echo.Received.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var firstLine = received[..(received.IndexOf('\n', StringComparison.Ordinal) + 1)];
        Assert.Matches("^imei=353000000000035 imsi=440101234567035 timestamp=[0-9]{13};signature=[0-9a-f]{64} version=20150901\n$", firstLine);
        Assert.Equal("hello upstream\n", received[firstLine.Length..]);
        var verdict = new SoracomSignatureVerifier(new SoracomVerifierOptions { PreSharedKeys = { "topsecret" } }).VerifyTcpFirstLine(firstLine);
        Assert.True(verdict.IsValid, verdict.Reason);

        // The echo comes back to the device, first line included (the upstream echoes all it got).
        Assert.Equal(received, reply);
    }

    [Fact]
    public async Task Tcp_relay_to_a_closed_port_answers_502()
    {
        Assert.Equal("502 upstream refused the connection\n", Text(await Socat.RunAsync("x"u8.ToArray(), Tcp("127.0.0.36", _gateway.TcpPort))));
    }

    [Fact]
    public async Task Tcp_relay_refuses_unknown_devices_and_groups_without_an_entry()
    {
        Assert.Equal("403 device not recognised\n", Text(await Socat.RunAsync("x"u8.ToArray(), Tcp("127.0.0.99", _gateway.TcpPort))));
        Assert.Equal("404 no Beam TCP relay entry for this device's group\n", Text(await Socat.RunAsync("x"u8.ToArray(), Tcp("127.0.0.31", _gateway.TcpPort))));
        Assert.Equal("404 no Beam UDP entry for this device's group", Text(await Socat.RunAsync("x"u8.ToArray(), Udp("127.0.0.35"), waitSeconds: 1)));
    }
}
