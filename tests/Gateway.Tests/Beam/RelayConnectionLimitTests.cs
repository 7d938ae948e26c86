using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>
/// Gateway:Beam:MaxConnections on the HTTP port, with the relay on its event loops (which count their own
/// connections, since Kestrel does not see them) and on Kestrel's transport: past the limit a connection is closed
/// unanswered, and a freed place is taken again.
/// </summary>
public sealed class RelayConnectionLimitTests
{
    private const string Device = "127.0.0.23";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connection_over_the_limit_is_closed_and_a_freed_place_is_served(bool eventLoops)
    {
        await using var upstream = await RecordingUpstream.StartAsync();
        await using var gateway = new GatewayProcess();
        var seed = $$"""
            { "groups": [ { "groupId": "g", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:8888/in": { "destination": "{{upstream.BaseUri}}in", "enabled": true } } } } ],
              "subscribers": [ { "imsi": "440101234567023", "groupId": "g", "ipAddress": "{{Device}}" } ] }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await gateway.StartAsync("--registry", path, "--Gateway:Beam:MaxConnections", "2",
            "--Gateway:Beam:EventLoopRelay", eventLoops ? "true" : "false");

        var request = "GET /in HTTP/1.1\r\nHost: beam.soracom.io\r\n\r\n";
        await using var first = await RelayTests.DeviceConnection.ConnectAsync(Device, gateway.HttpPort);
        await using var second = await RelayTests.DeviceConnection.ConnectAsync(Device, gateway.HttpPort);
        foreach (var device in new[] { first, second })
        {
            await device.SendAsync(request);
            Assert.Equal(200, (await device.ReadResponseAsync()).Status);
        }

        await using (var third = await RelayTests.DeviceConnection.ConnectAsync(Device, gateway.HttpPort))
        {
            Assert.True(await third.IsClosedAsync(), "a third connection was kept with a limit of two");
        }

        if (!eventLoops)
        {
            // On Kestrel's transport the gateway counts the limit itself (Hosting/ConnectionCeiling), and says so.
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{gateway.Port}/metrics"), TestContext.Current.CancellationToken);
            Assert.Matches(@"(?m)^gateway_connections_rejected_total(\{[^}]*\})? [1-9]", metrics);
        }

        await first.DisposeAsync();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await using var again = await RelayTests.DeviceConnection.ConnectAsync(Device, gateway.HttpPort);
        await again.SendAsync(request);
        Assert.Equal(200, (await again.ReadResponseAsync()).Status);
        await second.SendAsync(request);
        Assert.Equal(200, (await second.ReadResponseAsync()).Status);
    }
}
