using Gateway.Tests.Funnel;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Failure;

/// <summary>
/// Two gateways sharing their registry in PostgreSQL, each with its own data directory and so its own spool
/// (trait <c>Category=Failure</c>; <c>tests/failure/run.sh</c>). With the webhook down, a device on each instance is
/// acknowledged from that instance's spool; instance 1 is killed with SIGKILL and the webhook comes back: instance 2
/// delivers its own messages, and instance 1's wait in its directory — no other instance takes them — until a gateway
/// is started on that directory again: instance 1 itself (same ports), or a replacement with ports of its own, as a
/// StatefulSet's replica or a new host gets a dead one's volume. Then every one of them arrives. docs/deployment.md
/// draws the operational consequence (a persistent volume per instance).
/// </summary>
[Trait("Category", "Failure")]
[Collection(OutageTests.Name)]
public sealed class SharedStoreSpoolTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Count = 50;
    private static readonly (string Imsi, string Address)[] s_devices = [("440101234567197", "127.0.0.197"), ("440101234567198", "127.0.0.198")];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_instance_killed_with_messages_in_its_spool_delivers_them_after_its_restart_and_no_other_instance_does(bool replacement)
    {
        var store = await postgres.CreateDatabaseAsync();
        // Instance 1 loads the seed into the shared store; instance 2 reads it from there. The instances take their
        // ports before the webhook's is let go, so that none of them is handed the webhook's.
        await using var first = new GatewayChild();
        await using var second = new GatewayChild();
        await using var standIn = new GatewayChild { DataDir = first.DataDir };
        var hook = await TestWebhook.StartAsync(LoadRun.RestartablePort());
        var port = hook.Port;
        await hook.DisposeAsync();

        var seedPath = Path.Combine(first.DataDir, "seed.json");
        var subscribers = string.Join(",", s_devices.Select(static d => $$"""{ "imsi": "{{d.Imsi}}", "groupId": "g-s", "ipAddress": "{{d.Address}}" }"""));
        await File.WriteAllTextAsync(seedPath, $$"""
            { "groups": [ { "groupId": "g-s", "configuration": { "SoracomFunnel": { "enabled": true, "delivery": "queued", "contentType": "text",
                "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "http://127.0.0.1:{{port}}/hook" } } } } ],
              "subscribers": [ {{subscribers}} ] }
            """, Ct);
        string[] shared = ["--store", "postgresql", "--store-connection", store, "--Gateway:Funnel:DeliveryTimeoutSeconds", "1",
            "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "300"];
        first.ExtraArgs = ["--registry", seedPath, .. shared];
        second.ExtraArgs = shared;
        standIn.ExtraArgs = shared;
        await first.StartAsync(Ct);
        await second.StartAsync(Ct);

        // The webhook is down: each device is acknowledged from its instance's spool.
        var onFirst = new UdpDevice(s_devices[0].Address, first.UnifiedPort, "one");
        var onSecond = new UdpDevice(s_devices[1].Address, second.UnifiedPort, "two");
        await Task.WhenAll(onFirst.RunAsync(Count, Ct), onSecond.RunAsync(Count, Ct));
        Assert.Equal(Count, onFirst.Acknowledged.Count);
        Assert.Equal(Count, onSecond.Acknowledged.Count);

        await first.KillAsync();
        var segments = Directory.GetFiles(Path.Combine(first.DataDir, "spool", "funnel"), "*.seg");
        Assert.NotEmpty(segments);

        await using var back = await TestWebhook.StartAsync(port);
        List<(string Id, string Payload)> Received() => [.. back.Requests.Select(static r => (r.Headers["x-message-id"], LoadRun.Payload(r.Body)))];
        var fromSecond = await LoadRun.AwaitAllAsync(onSecond.Acknowledged.ToHashSet(), () => Task.FromResult(Received()), Ct);
        LoadRun.Report(output, "two instances, instance 2 (alive)", onSecond.Acknowledged.ToHashSet(), fromSecond, [onSecond]);

        // While instance 1 is down its messages stay in its directory: instance 2 has no access to them.
        await Task.Delay(2000, Ct);
        Assert.DoesNotContain(Received(), r => r.Payload.StartsWith("one", StringComparison.Ordinal));

        var revived = replacement ? standIn : first;
        await revived.StartAsync(Ct);
        var all = await LoadRun.AwaitAllAsync(onFirst.Acknowledged.ToHashSet(), () => Task.FromResult(Received()), Ct);
        var fromFirst = all.Where(static r => r.Payload.StartsWith("one", StringComparison.Ordinal)).ToList();
        LoadRun.Report(output, $"two instances, instance 1 (killed with its spool, {(replacement ? "replaced by a gateway on its directory" : "restarted")})",
            onFirst.Acknowledged.ToHashSet(), fromFirst, [onFirst]);
        Assert.Contains(revived.Output, static l => l.Contains("undelivered messages", StringComparison.Ordinal));
    }
}
