using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>One device cannot hold more TCP connections than its share; others are not affected.</summary>
public sealed class ConnectionLimitTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private RecordingUpstream _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var seed = $$"""
            { "groups": [ { "groupId": "g", "configuration": { "SoracomBeam": {
                  "tcp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}tcp" } } } } ],
              "subscribers": [ { "imsi": "440101234567081", "groupId": "g", "ipAddress": "127.0.0.81" },
                               { "imsi": "440101234567082", "groupId": "g", "ipAddress": "127.0.0.82" } ] }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:Beam:MaxConnectionsPerDevice", "2");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<TcpClient> ConnectAsync(string source)
    {
        var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
        await client.ConnectAsync(IPAddress.Loopback, _gateway.UnifiedPort, TestContext.Current.CancellationToken);
        return client;
    }

    private static async Task<string> ExchangeAsync(TcpClient client, string message)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message), TestContext.Current.CancellationToken);
        var buffer = new byte[256];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var n = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task Third_connection_from_one_device_is_refused_until_one_closes()
    {
        using var first = await ConnectAsync("127.0.0.81");
        using var second = await ConnectAsync("127.0.0.81");
        Assert.Equal("200 pong\n", await ExchangeAsync(first, "a"));
        Assert.Equal("200 pong\n", await ExchangeAsync(second, "b"));

        using (var third = await ConnectAsync("127.0.0.81"))
        {
            Assert.Equal("503 too many connections from this device\n", await ExchangeAsync(third, "c"));
        }

        using var other = await ConnectAsync("127.0.0.82");
        Assert.Equal("200 pong\n", await ExchangeAsync(other, "d"));

        first.Close();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        using var again = await ConnectAsync("127.0.0.81");
        Assert.Equal("200 pong\n", await ExchangeAsync(again, "e"));
    }
}
