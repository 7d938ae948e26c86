using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>The per-device connection limit on the MQTT entry point: past it, CONNACK 0x03 (server unavailable).</summary>
public sealed class MqttConnectionLimitTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private Mosquitto _broker = null!;

    public async ValueTask InitializeAsync()
    {
        _broker = await Mosquitto.StartAsync();
        var seed = $$"""
            {
              "groups": [ { "groupId": "g", "configuration": { "SoracomBeam": {
                "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:{{_broker.Port}}" } } } } ],
              "subscribers": [ { "imsi": "440101234567061", "groupId": "g", "ipAddress": "127.0.0.61" } ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:Beam:MaxConnectionsPerDevice", "1");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task A_second_connection_from_the_same_device_gets_server_unavailable_until_the_first_closes()
    {
        using (var first = await ConnectAsync("first"))
        {
            Assert.Equal("20020000", await ConnAckAsync(first));
            using var second = await ConnectAsync("second");
            Assert.Equal("20020003", await ConnAckAsync(second));
        }

        // The lease is released when the gateway sees the first connection end.
        var third = "";
        for (var i = 0; i < 50 && third != "20020000"; i++)
        {
            using var client = await ConnectAsync("third");
            third = await ConnAckAsync(client);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal("20020000", third);
    }

    private async Task<TcpClient> ConnectAsync(string clientId)
    {
        var client = new TcpClient(new IPEndPoint(IPAddress.Parse("127.0.0.61"), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.MqttPort, TestContext.Current.CancellationToken);
        var id = System.Text.Encoding.ASCII.GetBytes(clientId);
        byte[] connect = [0x10, (byte)(12 + id.Length), 0x00, 0x04, .. "MQTT"u8, 0x04, 0x02, 0x00, 0x3C, 0x00, (byte)id.Length, .. id];
        await client.GetStream().WriteAsync(connect, TestContext.Current.CancellationToken);
        return client;
    }

    private static async Task<string> ConnAckAsync(TcpClient client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var connAck = new byte[4];
        await client.GetStream().ReadExactlyAsync(connAck, timeout.Token);
        return Convert.ToHexString(connAck);
    }
}
