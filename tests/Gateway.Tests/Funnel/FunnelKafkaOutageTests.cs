using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Kafka;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel over UDP and TCP to a Kafka broker that is down when the gateway starts, comes up, and dies mid-stream (the
/// mock cluster's process killed): the device gets a 5xx within the delivery deadline while it is down, and every
/// message acknowledged with <c>200</c> is read back by a consumer, and none answered 5xx while it was down turns up
/// later; failures are in <c>GET /v1/logs</c>.
/// </summary>
public sealed class FunnelKafkaOutageTests : IAsyncLifetime
{
    private const string Device = "127.0.0.155";
    private const string Imsi = "440101234567155";

    private readonly GatewayProcess _gateway = new();
    private readonly int _brokerPort = GatewayProcess.FreePort();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var seed = $$"""
            {
              "groups": [ { "groupId": "g-out", "configuration": { "SoracomFunnel": { "enabled": true,
                "destination": { "provider": "kafka", "service": "kafka", "resourceUrl": "kafka://127.0.0.1:{{_brokerPort}}/fout" }, "contentType": "text" } } } ],
              "subscribers": [ { "imsi": "{{Imsi}}", "groupId": "g-out", "ipAddress": "{{Device}}" } ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        // A deadline of 3 s gives librdkafka 1.5 s (KafkaMessageTimeout), found timed out within a second more.
        await _gateway.StartAsync("--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "3");
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<string> SendAsync(string payload, bool tcp) => Encoding.UTF8.GetString(await Socat.RunAsync(
        Encoding.UTF8.GetBytes(payload),
        tcp ? $"TCP:127.0.0.1:{_gateway.UnifiedPort},bind={Device}" : $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={Device}",
        waitSeconds: tcp ? 3 : 10));

    /// <summary>Sends numbered messages until one is acknowledged (the producer reconnects in its own time); returns the acknowledged ones.</summary>
    private async Task<List<string>> SendUntilAcknowledgedAsync(string prefix, int count)
    {
        var acknowledged = new List<string>();
        for (var i = 0; acknowledged.Count < count && i < 60; i++)
        {
            var payload = $"{prefix}-{i}";
            var reply = await SendAsync(payload, tcp: i % 2 == 1);
            Assert.Matches("^(200|5[0-9][0-9] .+)$", reply);
            if (reply == "200")
            {
                acknowledged.Add(payload);
            }
        }

        Assert.Equal(count, acknowledged.Count);
        return acknowledged;
    }

    /// <summary>The topic's payloads, read until every one of <paramref name="expected"/> came (or a minute passed).</summary>
    private static List<string> Payloads(string bootstrap, List<string> expected) =>
        KafkaReader.Read(bootstrap, "fout", read => expected.All(e => read.Exists(r => Payload(r) == e)), TimeSpan.FromSeconds(60))
            .Select(Payload).ToList();

    private static string Payload(Confluent.Kafka.ConsumeResult<string, byte[]> record) => (string)JsonNode.Parse(record.Message.Value)!["payloads"]!;

    [Fact]
    public async Task Broker_down_at_start_then_up_then_killed_mid_stream()
    {
        // Down at start: a 5xx reply within the delivery deadline, on both transports.
        Assert.Matches("^5[0-9][0-9] ", await SendAsync("early-udp", tcp: false));
        Assert.Matches("^5[0-9][0-9] ", await SendAsync("early-tcp", tcp: true));

        var kafka = await MockKafka.StartAsync(_brokerPort);
        try
        {
            // Nothing acknowledged is missing, and the messages refused while the broker was down do not arrive now
            // (issue #14): librdkafka gave them up before the device was answered. Same key, same partition, so they
            // would have come before the acknowledged ones.
            var first = await SendUntilAcknowledgedAsync("up", 4);
            var got = Payloads(kafka.Bootstrap, first);
            Assert.All(first, p => Assert.Contains(p, got));
            Assert.DoesNotContain("early-udp", got);
            Assert.DoesNotContain("early-tcp", got);
        }
        finally
        {
            await kafka.KillAsync();
            await kafka.DisposeAsync();
        }

        // Killed mid-stream: refused, never acknowledged.
        Assert.Matches("^5[0-9][0-9] ", await SendAsync("dead-udp", tcp: false));
        Assert.Matches("^5[0-9][0-9] ", await SendAsync("dead-tcp", tcp: true));

        // Back on the same port: what is acknowledged now is there too.
        await using var again = await MockKafka.StartAsync(_brokerPort);
        var second = await SendUntilAcknowledgedAsync("again", 3);
        var read = Payloads(again.Bootstrap, second);
        Assert.All(second, p => Assert.Contains(p, read));
        Assert.DoesNotContain("dead-udp", read);
        Assert.DoesNotContain("dead-tcp", read);

        using var admin = await _gateway.LoginAsync();
        var logs = JsonNode.Parse(await admin.GetStringAsync(_gateway.Url($"/v1/logs?resource_type=Subscriber&resource_id={Imsi}&service=Funnel"), Ct))!.AsArray();
        Assert.True(logs.Count >= 4, $"every refused message is logged: {logs.ToJsonString()}");
        Assert.All(logs, static e => Assert.StartsWith("5", ((int)e!["body"]!["statusCode"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }
}
