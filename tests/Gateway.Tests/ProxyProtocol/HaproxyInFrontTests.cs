using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>
/// Debian's HAProxy in TCP mode in front of the gateway, as in deploy/haproxy: it connects from its own loopback
/// address (127.0.0.42, trusted), with <c>send-proxy-v2</c> and with <c>send-proxy</c>; two devices connect to it from
/// their own addresses and each is identified as its own SIM on the HTTP relay, the TCP relay and the MQTT relay.
/// </summary>
public sealed class HaproxyInFrontTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private readonly Dictionary<string, int> _front = [];
    private RecordingUpstream _upstream = null!;
    private ProxyProtocolTests.LineEcho _echo = null!;
    private Mosquitto _broker = null!;
    private Process? _haproxy;
    private string? _dir;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _echo = new ProxyProtocolTests.LineEcho();
        _broker = await Mosquitto.StartAsync();
        var seed = ProxyProtocolTests.Seed(_upstream.BaseUri.ToString().TrimEnd('/'), _echo.Port, _broker.Port);
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:ProxyProtocol:TrustedProxies:0", ProxyProtocolTests.Proxy);
        await StartHaproxyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_haproxy is not null)
        {
            _haproxy.Kill();
            await _haproxy.WaitForExitAsync();
            _haproxy.Dispose();
        }

        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }

        await _gateway.DisposeAsync();
        await _broker.DisposeAsync();
        await _upstream.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v1")]
    public async Task Two_devices_through_haproxy_are_each_their_own_sim_on_the_http_relay(string version)
    {
        foreach (var (device, imsi) in (ValueTuple<string, string>[])[(ProxyProtocolTests.DeviceA, ProxyProtocolTests.ImsiA), (ProxyProtocolTests.DeviceB, ProxyProtocolTests.ImsiB)])
        {
            var body = $"{version}-{device}";
            await using var connection = await RelayTests.DeviceConnection.ConnectAsync(device, _front["http-" + version]);
            await connection.SendAsync(ProxyProtocolTests.Post(body));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            Assert.Equal(imsi, _upstream.Requests.Single(r => r.Body == body).Headers["x-soracom-imsi"]);
        }
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v1")]
    public async Task Two_devices_through_haproxy_are_each_their_own_sim_on_the_tcp_relay(string version)
    {
        var a = await ProxyProtocolTests.RawAsync(ProxyProtocolTests.DeviceA, _front["tcp-" + version], "a\n"u8.ToArray(), lines: 2);
        var b = await ProxyProtocolTests.RawAsync(ProxyProtocolTests.DeviceB, _front["tcp-" + version], "b\n"u8.ToArray(), lines: 2);
        Assert.StartsWith($"imsi={ProxyProtocolTests.ImsiA} ", a);
        Assert.StartsWith($"imsi={ProxyProtocolTests.ImsiB} ", b);
    }

    [Fact]
    public async Task Two_devices_through_haproxy_are_each_their_own_sim_on_the_mqtt_relay()
    {
        foreach (var (device, topic) in (ValueTuple<string, string>[])[(ProxyProtocolTests.DeviceA, "pp/a"), (ProxyProtocolTests.DeviceB, "pp/b")])
        {
            var port = _front["mqtt-v2"].ToString(CultureInfo.InvariantCulture);
            var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-A", device, "-i", "dev-" + topic, "-t", topic, "-m", "x", "-q", "1", "-r");
            Assert.True(code == 0, error);
        }

        Assert.Equal($"pp/a/{ProxyProtocolTests.ImsiA} x", await _broker.RetainedAsync("pp/a/#"));
        Assert.Equal($"pp/b/{ProxyProtocolTests.ImsiB} x", await _broker.RetainedAsync("pp/b/#"));
    }

    /// <summary>One frontend per port and version; every backend connects from the trusted 127.0.0.42.</summary>
    private async Task StartHaproxyAsync()
    {
        _dir = Directory.CreateTempSubdirectory("gw-haproxy-").FullName;
        var config = new StringBuilder("""
            global
                maxconn 200
            defaults
                mode tcp
                timeout connect 5s
                timeout client 30s
                timeout server 30s

            """);
        foreach (var (name, port, send) in (ValueTuple<string, int, string>[])[
            ("http-v2", _gateway.HttpPort, "send-proxy-v2 check check-send-proxy inter 500ms"), ("http-v1", _gateway.HttpPort, "send-proxy"),
            ("tcp-v2", _gateway.TcpPort, "send-proxy-v2"), ("tcp-v1", _gateway.TcpPort, "send-proxy"), ("mqtt-v2", _gateway.MqttPort, "send-proxy-v2")])
        {
            _front[name] = GatewayProcess.FreePort();
            config.Append(CultureInfo.InvariantCulture, $"""
                listen {name}
                    bind 127.0.0.1:{_front[name]}
                    server gw 127.0.0.1:{port} source {ProxyProtocolTests.Proxy} {send}

                """);
        }

        var file = Path.Combine(_dir, "haproxy.cfg");
        await File.WriteAllTextAsync(file, config.ToString());
        var psi = new ProcessStartInfo(File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-db", "-f", file])
        {
            psi.ArgumentList.Add(a);
        }

        _haproxy = Process.Start(psi)!;
        _haproxy.OutputDataReceived += static (_, _) => { };
        _haproxy.ErrorDataReceived += static (_, _) => { };
        _haproxy.BeginOutputReadLine();
        _haproxy.BeginErrorReadLine();
        foreach (var port in _front.Values)
        {
            await WaitListeningAsync(port);
        }
    }

    private async Task WaitListeningAsync(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.False(_haproxy!.HasExited, "haproxy exited at start");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException("haproxy did not listen");
    }
}
