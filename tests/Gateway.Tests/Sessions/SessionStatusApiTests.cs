using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using MQTTnet;

namespace Gateway.Tests.Sessions;

/// <summary>
/// <c>sessionStatus</c> on the admin API's subscriber: offline before the demo device sends anything, online with its
/// last-seen time after a datagram, and the open connections (unified TCP, MQTT into the pipeline) counted while
/// they are open.
/// </summary>
public sealed class SessionStatusApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> SessionAsync(HttpClient admin, GatewayProcess gateway) =>
        (JsonObject)(await admin.GetFromJsonAsync<JsonObject>(gateway.Url($"/v1/subscribers/{DemoRegistry.Imsi}"), Ct))!["sessionStatus"]!;

    [Fact]
    public async Task A_datagram_makes_the_demo_device_online_and_an_open_connection_is_counted_until_it_closes()
    {
        await using var gateway = new GatewayProcess { Demo = true };
        await gateway.StartAsync();
        using var admin = await gateway.LoginAsync();

        var before = await SessionAsync(admin, gateway);
        Assert.False((bool)before["online"]!);
        Assert.Null(before["lastUpdatedAt"]);
        Assert.Equal(DemoRegistry.Imsi, (string?)before["imsi"]);

        var sentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Socat.RunAsync("{\"temp\":1}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.1", waitSeconds: 2);
        var after = await SessionAsync(admin, gateway);
        Assert.True((bool)after["online"]!);
        Assert.InRange((long)after["lastUpdatedAt"]!, sentAt - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(0, (int)after["connections"]!);

        // The list carries it too.
        var list = await admin.GetFromJsonAsync<JsonArray>(gateway.Url("/v1/subscribers"), Ct);
        Assert.True((bool)list!.Single(s => (string?)s!["imsi"] == DemoRegistry.Imsi)!["sessionStatus"]!["online"]!);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", gateway.UnifiedPort, Ct);
            await WaitForAsync(async () => (int)(await SessionAsync(admin, gateway))["connections"]! == 1);
        }

        await WaitForAsync(async () => (int)(await SessionAsync(admin, gateway))["connections"]! == 0);

        // MQTT into the pipeline: counted from the CONNACK to the disconnect.
        using var mqtt = new MqttClientFactory().CreateMqttClient();
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", gateway.MqttPipelinePort).WithClientId("demo").Build(), Ct);
        await WaitForAsync(async () => (int)(await SessionAsync(admin, gateway))["connections"]! == 1);
        await mqtt.DisconnectAsync(cancellationToken: Ct);
        await WaitForAsync(async () => (int)(await SessionAsync(admin, gateway))["connections"]! == 0);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, Ct);
        }

        Assert.Fail("the session never reached the expected state");
    }
}
