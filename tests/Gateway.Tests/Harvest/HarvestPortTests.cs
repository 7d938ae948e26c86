using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Harvest;

/// <summary>
/// Harvest's own TCP/UDP port (<c>--harvest-port</c>, as SORACOM's <c>harvest.soracom.io:8514</c>) in a running
/// gateway: a device whose group enables Beam and Harvest reaches Harvest alone there (Beam's upstream sees nothing),
/// gets the text <c>201</c> over UDP and over TCP from socat, and a group without Harvest is told so.
/// </summary>
public sealed class HarvestPortTests : IAsyncLifetime
{
    private const string Both = "127.0.0.171";
    private const string BeamOnly = "127.0.0.172";
    private const string BothImsi = "440109999000171";

    private readonly GatewayProcess _gateway = new();
    private readonly int _harvestPort = GatewayProcess.FreeUdpAndTcpPort();
    private RecordingUpstream _upstream = null!;
    private HttpClient _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var seed = $$"""
            {
              "groups": [
                { "groupId": "both", "configuration": {
                    "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}beam", "enabled": true },
                                     "tcp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}beam", "enabled": true } },
                    "SoracomHarvest": { "enabled": true } } },
                { "groupId": "beam-only", "configuration": {
                    "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}beam", "enabled": true } } } }
              ],
              "subscribers": [
                { "imsi": "{{BothImsi}}", "groupId": "both", "ipAddress": "{{Both}}" },
                { "imsi": "440109999000172", "groupId": "beam-only", "ipAddress": "{{BeamOnly}}" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await _gateway.StartAsync("--registry", path, "--harvest-port", _harvestPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _api = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static async Task<string> DatagramAsync(string from, int port, byte[] payload)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Parse(from), 0));
        await udp.SendAsync(payload, new IPEndPoint(IPAddress.Loopback, port), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString((await udp.ReceiveAsync(timeout.Token)).Buffer);
    }

    [Fact]
    public async Task Harvests_port_reaches_Harvest_alone_over_UDP_and_TCP()
    {
        Assert.Equal("201", await DatagramAsync(Both, _harvestPort, "{\"via\":\"udp\"}"u8.ToArray()));
        var reply = await Socat.RunAsync("{\"via\":\"tcp\"}"u8.ToArray(), $"TCP:127.0.0.1:{_harvestPort},bind={Both}", waitSeconds: 3);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));

        var response = await _api.GetAsync(_gateway.Url($"/v1/data/Subscriber/{BothImsi}?sort=asc"), Ct);
        var entries = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray();
        Assert.Equal(["{\"via\":\"udp\"}", "{\"via\":\"tcp\"}"], entries.Select(static e => (string?)e!["content"]));
        Assert.Empty(_upstream.Requests);

        // The unified port still fans out to both services.
        Assert.StartsWith("200 ", await DatagramAsync(Both, _gateway.UnifiedPort, "{\"via\":\"unified\"}"u8.ToArray()), StringComparison.Ordinal);
        Assert.Single(_upstream.Requests);
    }

    [Fact]
    public async Task A_group_without_Harvest_is_told_so_on_Harvests_port() =>
        Assert.Equal("404 Harvest is not enabled for this device's group", await DatagramAsync(BeamOnly, _harvestPort, "{}"u8.ToArray()));
}
