using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>
/// The PROXY protocol on the device ports, from raw sockets on loopback: a trusted proxy (127.0.0.42) names each
/// device in its header and every entry point sees that device; bad headers from it are refused and counted; an
/// untrusted source's header is not honoured. The HTTP relay runs on its event loops here;
/// <see cref="ProxyProtocolOnKestrelTransportTests"/> runs every test again with it on Kestrel's socket transport.
/// </summary>
public class ProxyProtocolTests : IAsyncLifetime
{
    internal const string Proxy = "127.0.0.42";
    internal const string DeviceA = "127.0.0.51";
    internal const string DeviceB = "127.0.0.52";
    internal const string DeviceC = "127.0.0.53";
    internal const string ImsiA = "440101234560051";
    internal const string ImsiB = "440101234560052";
    internal const string ImsiC = "440101234560053";
    internal const string ProxyImsi = "440101234560042";

    private readonly GatewayProcess _gateway = new();
    private RecordingUpstream _upstream = null!;
    private LineEcho _echo = null!;

    /// <summary>This gateway's meters: rejections are counted on them alone.</summary>
    private IMeterFactory Meters => _gateway.Services.GetRequiredService<IMeterFactory>();

    /// <summary>Whether the relay runs on its event loops (Gateway:Beam:EventLoopRelay) or on Kestrel's transport.</summary>
    protected virtual bool EventLoops => true;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _echo = new LineEcho();
        var seed = Seed(_upstream.BaseUri.ToString().TrimEnd('/'), _echo.Port, mqttPort: null);
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync(
            "--registry", path, "--Gateway:Beam:DirectRelay", "true", "--Gateway:Beam:EventLoopRelay", EventLoops ? "true" : "false",
            "--Gateway:ProxyProtocol:TrustedProxies:0", "127.0.0.40/30", "--Gateway:ProxyProtocol:HeaderTimeoutSeconds", "1",
            "--Gateway:Beam:MaxConnectionsPerDevice", "2");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _echo.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Three SIMs, by address: two devices and the proxy itself (what a LOCAL or UNKNOWN header leaves).</summary>
    internal static string Seed(string http, int tcpEcho, int? mqttPort) => $$"""
        {
          "groups": [
            { "groupId": "g-pp", "configuration": { "SoracomBeam": {
                "http://beam.soracom.io:8888/in": { "destination": "{{http}}/ingest", "enabled": true, "addSubscriberHeader": true },
                "http://beam.soracom.io:18080": { "destination": "{{http}}/site", "enabled": true, "addSubscriberHeader": true },
                "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:{{tcpEcho}}", "enabled": true, "addSubscriberHeader": true }
                {{(mqttPort is { } p ? $$""", "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{p}}", "enabled": true, "addSubscriberHeader": true }""" : "")}}
              },
              "SoracomAir": { "metadata": { "enabled": true, "readonly": true } },
              "SoracomHarvest": { "enabled": true } } }
          ],
          "subscribers": [
            { "imsi": "{{ImsiA}}", "groupId": "g-pp", "ipAddress": "{{DeviceA}}" },
            { "imsi": "{{ImsiB}}", "groupId": "g-pp", "ipAddress": "{{DeviceB}}" },
            { "imsi": "{{ImsiC}}", "groupId": "g-pp", "ipAddress": "{{DeviceC}}" },
            { "imsi": "{{ProxyImsi}}", "groupId": "g-pp", "ipAddress": "{{Proxy}}" }
          ]
        }
        """;

    internal static string Post(string body, string extra = "") =>
        $"POST /in HTTP/1.1\r\nHost: beam.soracom.io\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n{extra}\r\n{body}";

    private async Task<string> ImsiUpstreamSawAsync(byte[] header, string body, string extra = "")
    {
        await using var connection = await RelayTests.DeviceConnection.ConnectAsync(Proxy, _gateway.HttpPort);
        await connection.SendAsync((byte[])[.. header, .. Encoding.ASCII.GetBytes(Post(body, extra))]);
        var response = await connection.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        return _upstream.Requests.Single(r => r.Body == body).Headers["x-soracom-imsi"];
    }

    [Fact]
    public async Task Each_device_behind_the_proxy_is_its_own_sim_on_the_http_relay_with_v2_and_v1()
    {
        Assert.Equal(ImsiA, await ImsiUpstreamSawAsync(ProxyHeaderBytes.V2Proxy(DeviceA), "v2-a"));
        Assert.Equal(ImsiB, await ImsiUpstreamSawAsync(ProxyHeaderBytes.V1Tcp4(DeviceB), "v1-b"));
    }

    [Fact]
    public async Task Several_requests_on_one_proxied_connection_all_belong_to_the_named_device()
    {
        await using var connection = await RelayTests.DeviceConnection.ConnectAsync(Proxy, _gateway.HttpPort);
        await connection.SendAsync(ProxyHeaderBytes.V2Proxy(DeviceB));
        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync(Post($"keep-{i}"));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        Assert.All(_upstream.Requests.Where(r => r.Body.StartsWith("keep-", StringComparison.Ordinal)), r => Assert.Equal(ImsiB, r.Headers["x-soracom-imsi"]));
        Assert.Equal(3, _upstream.Requests.Count(r => r.Body.StartsWith("keep-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_request_the_relay_hands_to_kestrel_keeps_the_device_address()
    {
        // A chunked body is Kestrel's (BeamHttpEntryPoint's) to serve: the connection changes hands after the header.
        await using var connection = await RelayTests.DeviceConnection.ConnectAsync(Proxy, _gateway.HttpPort);
        await connection.SendAsync((byte[])[.. ProxyHeaderBytes.V2Proxy(DeviceA),
            .. "POST /in HTTP/1.1\r\nHost: beam.soracom.io\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nchunked\r\n0\r\n\r\n"u8]);
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        Assert.Equal(ImsiA, _upstream.Requests.Single(r => r.Body == "chunked").Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task Local_and_unknown_headers_keep_the_proxy_own_address()
    {
        Assert.Equal(ProxyImsi, await ImsiUpstreamSawAsync(ProxyHeaderBytes.V2Local(), "local"));
        Assert.Equal(ProxyImsi, await ImsiUpstreamSawAsync(ProxyHeaderBytes.V1("UNKNOWN"), "unknown"));
    }

    [Fact]
    public async Task A_header_from_an_untrusted_source_is_not_honoured()
    {
        // Device A claims to be device B: on the HTTP port a PROXY line is a bad request line, nothing more.
        await using (var connection = await RelayTests.DeviceConnection.ConnectAsync(DeviceA, _gateway.HttpPort))
        {
            await connection.SendAsync((byte[])[.. ProxyHeaderBytes.V1Tcp4(DeviceB), .. Encoding.ASCII.GetBytes(Post("claimed"))]);
            Assert.Equal(400, (await connection.ReadResponseAsync()).Status);
        }

        Assert.DoesNotContain(_upstream.Requests, r => r.Body == "claimed");

        // On the TCP relay the header is part of the device's bytes, relayed after device A's own identity line.
        var echoed = await RawAsync(DeviceA, _gateway.TcpPort, [.. ProxyHeaderBytes.V1Tcp4(DeviceB), .. "hello\n"u8], lines: 3);
        Assert.StartsWith($"imsi={ImsiA} ", echoed);
        Assert.Contains($"\nPROXY TCP4 {DeviceB} ", echoed, StringComparison.Ordinal);

        // And a plain connection from an untrusted source is served as it always was.
        await using var plain = await RelayTests.DeviceConnection.ConnectAsync(DeviceA, _gateway.HttpPort);
        await plain.SendAsync(Post("plain-a"));
        Assert.Equal(200, (await plain.ReadResponseAsync()).Status);
        Assert.Equal(ImsiA, _upstream.Requests.Single(r => r.Body == "plain-a").Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task The_tcp_relay_identifies_each_device_behind_the_proxy()
    {
        Assert.StartsWith($"imsi={ImsiA} ", await RawAsync(Proxy, _gateway.TcpPort, [.. ProxyHeaderBytes.V2Proxy(DeviceA), .. "a\n"u8], lines: 2));
        Assert.StartsWith($"imsi={ImsiB} ", await RawAsync(Proxy, _gateway.TcpPort, [.. ProxyHeaderBytes.V1Tcp4(DeviceB), .. "b\n"u8], lines: 2));
    }

    [Fact]
    public async Task The_device_http_port_answers_metadata_for_the_device_behind_the_proxy()
    {
        foreach (var (header, imsi) in (ValueTuple<byte[], string>[])[(ProxyHeaderBytes.V2Proxy(DeviceA), ImsiA), (ProxyHeaderBytes.V1Tcp4(DeviceB), ImsiB)])
        {
            await using var connection = await RelayTests.DeviceConnection.ConnectAsync(Proxy, _gateway.DeviceHttpPort);
            await connection.SendAsync((byte[])[.. header, .. "GET /v1/subscriber.imsi HTTP/1.1\r\nHost: metadata.soracom.io\r\n\r\n"u8]);
            var response = await connection.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal(imsi, response.Text.Trim('"', '\n'));
        }
    }

    [Fact]
    public async Task The_per_device_connection_limit_counts_each_device_behind_the_proxy()
    {
        // Every connection comes from the one proxy address; the limit (2 here) is the named device's.
        var held = new List<Socket>();
        try
        {
            foreach (var device in (string[])[DeviceC, DeviceC])
            {
                var (socket, line) = await OpenTcpRelayAsync(device);
                held.Add(socket);
                Assert.StartsWith($"imsi={ImsiC} ", line);
            }

            var (third, refusal) = await OpenTcpRelayAsync(DeviceC);
            held.Add(third);
            Assert.Equal("503 too many connections from this device\n", refusal);

            var (other, admitted) = await OpenTcpRelayAsync(DeviceA);
            held.Add(other);
            Assert.StartsWith($"imsi={ImsiA} ", admitted);
        }
        finally
        {
            held.ForEach(static s => s.Dispose());
        }
    }

    /// <summary>A TCP relay connection through the proxy for <paramref name="device"/>, kept open, and the first line it got back.</summary>
    private async Task<(Socket Socket, string Line)> OpenTcpRelayAsync(string device)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(Proxy), 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _gateway.TcpPort), TestContext.Current.CancellationToken);
        await socket.SendAsync((byte[])[.. ProxyHeaderBytes.V2Proxy(device), .. "x\n"u8], TestContext.Current.CancellationToken);
        var line = new StringBuilder();
        var one = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (await socket.ReceiveAsync(one, timeout.Token) == 1)
        {
            line.Append((char)one[0]);
            if (one[0] == '\n')
            {
                break;
            }
        }

        return (socket, line.ToString());
    }

    [Fact]
    public async Task The_website_port_identifies_the_device_behind_the_proxy()
    {
        await using var connection = await RelayTests.DeviceConnection.ConnectAsync(Proxy, _gateway.WebsitePort);
        await connection.SendAsync((byte[])[.. ProxyHeaderBytes.V2Proxy(DeviceB), .. "GET /page?pp=website HTTP/1.1\r\nHost: beam.soracom.io\r\n\r\n"u8]);
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        Assert.Equal(ImsiB, _upstream.Requests.Single(r => r.Query.Contains("pp=website", StringComparison.Ordinal)).Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task The_mqtt_pipeline_takes_the_device_behind_the_proxy_and_refuses_an_unknown_one()
    {
        // The proxy's own address is a SIM: only the header can make the second CONNECT an unknown device's.
        foreach (var (named, connAck) in (ValueTuple<string, string>[])[(DeviceA, "20020000"), ("127.0.0.99", "20020005")])
        {
            using var client = await Devices.MqttBytes.RawAsync(Proxy, _gateway.MqttPipelinePort);
            var stream = client.GetStream();
            await stream.WriteAsync((byte[])[.. ProxyHeaderBytes.V2Proxy(named), .. Devices.MqttBytes.Connect("pp-" + named, 4)], TestContext.Current.CancellationToken);
            Assert.Equal(connAck, Convert.ToHexString((await Devices.MqttBytes.ReadPacketAsync(stream))!));
        }
    }

    public static TheoryData<string, string> BadHeaders() => new()
    {
        { "missing", "plain" },
        { "malformed", "v1-port" },
        { "malformed", "v2-version" },
        { "oversized", "v1-long" },
        { "oversized", "v2-long" },
        { "unsupported_family", "v2-unix" },
        { "unsupported_family", "v2-unspec" },
        { "truncated", "v2-cut-then-close" },
    };

    private static byte[] Bad(string name) => name switch
    {
        "plain" => Encoding.ASCII.GetBytes(Post("no-header")),
        "v1-port" => ProxyHeaderBytes.V1("TCP4 127.0.0.51 127.0.0.1 99999 8888"),
        "v2-version" => ProxyHeaderBytes.V2(0x31, 0x11, new byte[12]),
        "v1-long" => Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120)),
        "v2-long" => ProxyHeaderBytes.V2(0x21, 0x11, new byte[12], declaredLength: 0xFFFF),
        "v2-unix" => ProxyHeaderBytes.V2(0x21, 0x31, new byte[216]),
        "v2-unspec" => ProxyHeaderBytes.V2(0x21, 0x00, []),
        _ => ProxyHeaderBytes.V2Proxy(DeviceA)[..20],
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task A_bad_header_from_the_proxy_closes_the_connection_and_is_counted_on_every_port(string reason, string bytes)
    {
        foreach (var (port, entry) in (ValueTuple<int, string>[])[(_gateway.HttpPort, "http"), (_gateway.TcpPort, "tcp_relay"), (_gateway.UnifiedPort, "unified"), (_gateway.MqttPort, "mqtt"),
            (_gateway.DeviceHttpPort, "device_http"), (_gateway.MqttPipelinePort, "device_mqtt")])
        {
            using var counter = new RejectionCounter(reason, entry, Meters);
            Assert.Equal(string.Empty, await RawAsync(Proxy, port, Bad(bytes), lines: 1, halfClose: bytes == "v2-cut-then-close"));
            Assert.True(await counter.WaitAsync(), $"{entry}: {reason} not counted");
        }

        Assert.DoesNotContain(_upstream.Requests, r => r.Body == "no-header");
    }

    [Fact]
    public async Task A_header_that_does_not_arrive_whole_in_time_closes_the_connection()
    {
        // Another gateway's meters (any other instance in this process): its counter must not see this gateway's refusals.
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        foreach (var (port, entry) in (ValueTuple<int, string>[])[(_gateway.HttpPort, "http"), (_gateway.TcpPort, "tcp_relay")])
        {
            using var counter = new RejectionCounter("truncated", entry, Meters);
            using var elsewhere = new RejectionCounter("truncated", entry, other.GetRequiredService<IMeterFactory>());

            // Ten bytes of the signature, then nothing: closed by the gateway once its deadline (1 s here) has passed.
            Assert.Equal(string.Empty, await RawAsync(Proxy, port, ProxyHeaderBytes.V2Signature[..10], lines: 1));
            Assert.True(await counter.WaitAsync(), $"{entry}: truncated not counted");
            Assert.Equal(0, elsewhere.Count);
        }
    }

    [Fact]
    public async Task The_process_keeps_serving_after_bad_headers()
    {
        for (var i = 0; i < 5; i++)
        {
            await RawAsync(Proxy, _gateway.HttpPort, Bad("v2-unix"), lines: 1);
        }

        Assert.Equal(ImsiB, await ImsiUpstreamSawAsync(ProxyHeaderBytes.V2Proxy(DeviceB), "after-bad"));
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> from <paramref name="source"/> and reads until <paramref name="lines"/> lines have
    /// come or the gateway closes (the text so far; empty when it closed at once). <paramref name="halfClose"/> ends
    /// the sending side after the bytes.
    /// </summary>
    internal static async Task<string> RawAsync(string source, int port, byte[] bytes, int lines, bool halfClose = false)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        await socket.SendAsync(bytes, timeout.Token);
        if (halfClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            while (text.ToString().Count(c => c == '\n') < lines)
            {
                var n = await socket.ReceiveAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                text.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (SocketException)
        {
            // Reset: closed all the same.
        }

        return text.ToString();
    }

    /// <summary>A TCP upstream that answers each connection by echoing every line back, for the TCP relay's first line.</summary>
    internal sealed class LineEcho : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;

        public LineEcho()
        {
            _listener.Start();
            _accept = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accept.ContinueWith(static _ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = EchoAsync(client);
            }
        }

        private async Task EchoAsync(TcpClient client)
        {
            using (client)
            {
                var buffer = new byte[4096];
                var stream = client.GetStream();
                try
                {
                    int n;
                    while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                }
            }
        }
    }
}
