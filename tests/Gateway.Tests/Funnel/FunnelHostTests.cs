using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Funnel;

/// <summary>The gateway host with Funnel registered: a Funnel registry loads, /v1/logs answers, bad settings stop the start.</summary>
public sealed class FunnelHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_host_loads_a_funnel_registry_and_serves_the_logs_route()
    {
        await using var gateway = new GatewayProcess();
        var seed = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, FunnelRegistry.Seed(FunnelRegistry.Funnel("https://hooks.example.com/#{imsi}")), Ct);
        await gateway.StartAsync("--registry", seed);
        using var client = await gateway.LoginAsync();

        var response = await client.GetAsync(gateway.Url("/v1/logs?service=Funnel"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray());
    }

    [Fact]
    public async Task An_out_of_range_funnel_setting_stops_the_start()
    {
        await using var gateway = new GatewayProcess();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync("--Gateway:Funnel:DeliveryTimeoutSeconds", "0"));

        Assert.Contains("exited with 2", e.Message, StringComparison.Ordinal);
    }
}
