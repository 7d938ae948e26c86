using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Admin;

/// <summary>
/// The first start with an empty registry: a newcomer's datagram from the same machine is accepted and stored
/// without writing a registry first; <c>--no-demo</c> starts empty, and a demo once deleted stays deleted.
/// </summary>
public sealed class FirstRunDemoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_datagram_from_this_machine_is_stored_by_the_demo_group_and_read_back()
    {
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        using var api = await gateway.LoginAsync();

        var reply = await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));

        var data = JsonNode.Parse(await api.GetStringAsync(gateway.Url($"/v1/data/Subscriber/{DemoRegistry.Imsi}"), Ct))!;
        var entry = Assert.Single(data.AsArray())!;
        Assert.Contains("\"temp\":21.5", (string?)entry["content"], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(gateway.DataDir, DemoRegistry.MarkerFile)));

        // The metadata service tells the demo device who it is.
        var (status, who, _) = await Curl.RunAsync("127.0.0.1", "-H", "Host: metadata.soracom.io", $"http://127.0.0.1:{gateway.DeviceHttpPort}/v1/subscriber.imsi");
        Assert.Equal((200, DemoRegistry.Imsi), (status, who.Trim()));

        // Deleted by the user, it is not made again at the next start (the marker remembers it).
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync(gateway.Url($"/v1/subscribers/{DemoRegistry.Imsi}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync(gateway.Url($"/v1/groups/{DemoRegistry.GroupId}"), Ct)).StatusCode);
        await gateway.StopAsync();
        await using var again = new GatewayProcess { Demo = true };
        await again.StartAsync("--data-dir", gateway.DataDir);
        using var api2 = await again.LoginAsync();
        Assert.Equal("[]", JsonNode.Parse(await api2.GetStringAsync(again.Url("/v1/subscribers"), Ct))!.ToJsonString());
    }

    [Fact]
    public async Task With_no_demo_the_registry_starts_empty_and_this_machine_is_unknown()
    {
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        using var api = await gateway.LoginAsync();

        Assert.Equal("[]", JsonNode.Parse(await api.GetStringAsync(gateway.Url("/v1/subscribers"), Ct))!.ToJsonString());
        var reply = await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        Assert.StartsWith("403", Encoding.UTF8.GetString(reply), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(gateway.DataDir, DemoRegistry.MarkerFile)));
    }
}
