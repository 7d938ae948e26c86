using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Kafka;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Failure;

/// <summary>
/// The longer failure runs (trait <c>Category=Failure</c>, left out of the normal run; <c>tests/failure/run.sh</c>
/// runs them): the real gateway binary killed with SIGKILL mid-load in queued mode and restarted, a Kafka broker
/// stopped mid-load and restored, and SIGTERM with a load running. Each counts what the devices were acknowledged
/// against what the destination received, by message ID: nothing acknowledged may be missing.
/// </summary>
[Trait("Category", "Failure")]
[Collection(OutageTests.Name)]
public sealed class FailureTests(ITestOutputHelper output)
{
    private const string Imsi = "440101234567190";
    private static readonly string[] s_devices = ["127.0.0.191", "127.0.0.192", "127.0.0.193"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<GatewayChild> StartGatewayAsync(string destination, string delivery, params string[] args)
    {
        var child = new GatewayChild();
        var subscribers = string.Join(",", s_devices.Select((d, i) => $$"""{ "imsi": "{{Imsi[..^1]}}{{i}}", "groupId": "g-f", "ipAddress": "{{d}}" }"""));
        var seed = $$"""
            { "groups": [ { "groupId": "g-f", "configuration": { "SoracomFunnel": { "enabled": true, "delivery": "{{delivery}}",
                "contentType": "text", "destination": {{destination}} } } } ],
              "subscribers": [ {{subscribers}} ] }
            """;
        var path = Path.Combine(child.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        child.ExtraArgs = ["--registry", path, "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "500", .. args];
        return child;
    }

    private static string Webhook(TestWebhook hook) => $$"""{ "provider": "webhook", "service": "webhook", "resourceUrl": "{{hook.Url()}}" }""";

    private static List<UdpDevice> Devices(int port, string prefix) => LoadRun.Devices(s_devices, port, prefix);

    private static HashSet<string> Acknowledged(List<UdpDevice> devices) => LoadRun.Acknowledged(devices);

    private static string Payload(byte[] body) => LoadRun.Payload(body);

    private static Task<List<(string Id, string Payload)>> AwaitAllAsync(HashSet<string> acknowledged, Func<List<(string Id, string Payload)>> received) =>
        LoadRun.AwaitAllAsync(acknowledged, () => Task.FromResult(received()), Ct);

    private void Report(string name, HashSet<string> acknowledged, List<(string Id, string Payload)> got, List<UdpDevice> devices) =>
        LoadRun.Report(output, name, acknowledged, got, devices);

    [Fact]
    public async Task Kill_9_mid_load_in_queued_mode_then_restart_loses_nothing_acknowledged()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Delay = TimeSpan.FromMilliseconds(20);
        var gateway = await StartGatewayAsync(Webhook(hook), "queued");
        await using (gateway)
        {
            await gateway.StartAsync(Ct);
            using var stop = new CancellationTokenSource();
            var devices = Devices(gateway.UnifiedPort, "k");
            var load = devices.Select(d => d.RunAsync(100_000, stop.Token)).ToList();
            await Task.Delay(3000, Ct);
            await gateway.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(load);
            var acknowledged = Acknowledged(devices);
            Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} acknowledged before the kill");
            await gateway.StartAsync(Ct);
            var got = await AwaitAllAsync(acknowledged, () => [.. hook.Requests.Select(static r => (r.Headers["x-message-id"], Payload(r.Body)))]);
            Report("kill -9", acknowledged, got, devices);
            Assert.Contains(gateway.Output, static l => l.Contains("undelivered messages", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Kafka_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged()
    {
        var brokerPort = LoadRun.RestartablePort();
        var kafka = await MockKafka.StartAsync(brokerPort);
        var destination = $$"""{ "provider": "kafka", "service": "kafka", "resourceUrl": "kafka://127.0.0.1:{{brokerPort}}/ffail" }""";
        await using var gateway = await StartGatewayAsync(destination, "queued", "--Gateway:Funnel:DeliveryTimeoutSeconds", "2");
        await gateway.StartAsync(Ct);
        using var stop = new CancellationTokenSource();
        var devices = Devices(gateway.UnifiedPort, "kf");
        var load = devices.Select(d => d.RunAsync(100_000, stop.Token)).ToList();
        await Task.Delay(2000, Ct);

        // The mock keeps its records in memory, so what it had taken dies with it: the messages that count are the ones
        // acknowledged from the moment it is killed on, which must all reach the restored broker.
        var beforeKill = Acknowledged(devices);
        await kafka.KillAsync();
        await kafka.DisposeAsync();
        await Task.Delay(3000, Ct);
        await using var again = await MockKafka.StartAsync(brokerPort);
        await Task.Delay(2000, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        var afterKill = Acknowledged(devices);
        afterKill.ExceptWith(beforeKill);
        Assert.Equal(0, devices.Sum(static d => d.Refused));
        Assert.True(afterKill.Count > 20, $"only {afterKill.Count} acknowledged while the broker was down or back");
        var got = KafkaReader.Read(again.Bootstrap, "ffail", read => afterKill.IsSubsetOf(read.Select(static r => Payload(r.Message.Value))), TimeSpan.FromSeconds(90))
            .Select(static r => ((string)JsonNode.Parse(r.Message.Value)!["messageId"]!, Payload(r.Message.Value))).ToList();
        Report("kafka outage (acknowledged from the kill on)", afterKill, got, devices);
    }

    [Fact]
    public async Task Sigterm_with_a_load_running_stops_taking_datagrams_finishes_exchanges_and_exits_within_the_grace()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Delay = TimeSpan.FromMilliseconds(500);
        await using var gateway = await StartGatewayAsync(Webhook(hook), "sync", "--Gateway:ShutdownGraceSeconds", "10");
        await gateway.StartAsync(Ct);
        using var stop = new CancellationTokenSource();
        var devices = Devices(gateway.UnifiedPort, "t");
        var load = devices.Select(d => d.RunAsync(100_000, stop.Token)).ToList();
        await Task.Delay(1700, Ct);
        var terminated = Stopwatch.StartNew();
        gateway.Terminate();
        await gateway.Process.WaitForExitAsync(Ct);
        var exitedAfter = terminated.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(load);
        output.WriteLine($"SIGTERM: exited after {exitedAfter.TotalMilliseconds:F0} ms with code {gateway.Process.ExitCode}");

        // Each device had one exchange under way (a 500 ms webhook): it finished with its reply, so nothing was left
        // unanswered except datagrams sent after the listener stopped.
        Assert.True(exitedAfter < TimeSpan.FromSeconds(10), $"exited after {exitedAfter}");
        Assert.Equal(0, gateway.Process.ExitCode);
        var acknowledged = Acknowledged(devices);
        var got = hook.Requests.Select(static r => (r.Headers["x-message-id"], Payload(r.Body))).ToList();
        Report("SIGTERM (sync)", acknowledged, got, devices);

        // Every message the webhook got was acknowledged to its device: the exchanges under way at SIGTERM finished
        // with their replies instead of being cut (a cut one reaches the webhook unacknowledged).
        Assert.Equal(acknowledged.Count, got.Count);
    }
}
