using System.Text.Json.Nodes;
using Gateway.Funnel;
using Gateway.Harvest;
using Gateway.Tests.Admin;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Failure;

/// <summary>
/// The fast part of the failure tests, in the normal run: a queued Funnel group whose webhook is down acknowledges its
/// devices from the spool (depth and retries visible on /metrics), and delivers every acknowledged message once the
/// webhook is back, each with its message ID, duplicates bounded; queued Harvest; the key's validation.
/// </summary>
public sealed class QueuedDeliveryTests : IAsyncLifetime
{
    private const string Device = "127.0.0.181";
    private readonly GatewayProcess _gateway = new();
    private TestWebhook? _hook;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _hook = await TestWebhook.StartAsync();
        _hook.FailWith = 503;
        var seed = $$"""
            {
              "groups": [ { "groupId": "g-q", "configuration": {
                "SoracomFunnel": { "enabled": true, "delivery": "queued", "contentType": "text",
                  "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "{{_hook.Url()}}" } },
                "SoracomHarvest": { "enabled": true, "delivery": "queued" } } } ],
              "subscribers": [ { "imsi": "440101234567181", "groupId": "g-q", "ipAddress": "{{Device}}" } ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await _gateway.StartAsync("--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "1",
            "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "300");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _hook!.DisposeAsync();
    }

    private static double Gauge(string metrics, string name, string spool) =>
        metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"spool=\"{spool}\"", StringComparison.Ordinal))
            .Select(static l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Sum();

    [Fact]
    public async Task Destination_down_devices_are_acknowledged_from_the_spool_and_everything_arrives_once_it_is_back()
    {
        var device = new UdpDevice(Device, _gateway.UnifiedPort, "q");
        await device.RunAsync(20, Ct);

        // Both services acknowledged from the spool: Funnel's 200 and Harvest's 201 in the unified reply.
        Assert.Equal(20, device.Acknowledged.Count);
        Assert.False(_hook!.Requests.IsEmpty, "the webhook was tried while down");
        var metrics = await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct);
        Assert.True(Gauge(metrics, "gateway_spool_depth", "funnel") > 0, metrics);
        Assert.True(Gauge(metrics, "gateway_spool_oldest_age_seconds", "funnel") > 0, metrics);

        // Kept down until the spool has retried (each attempt is the dispatcher's, within its 1 s deadline).
        for (var i = 0; i < 100 && Gauge(metrics, "gateway_spool_retried_total", "funnel") == 0; i++)
        {
            await Task.Delay(100, Ct);
            metrics = await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct);
        }

        Assert.True(Gauge(metrics, "gateway_spool_retried_total", "funnel") > 0, metrics);

        var failedAttempts = _hook.Requests.Count;
        _hook.FailWith = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<WebhookRequest> delivered;
        do
        {
            await Task.Delay(100, Ct);
            delivered = [.. _hook.Requests.Skip(failedAttempts)];
        }
        while (delivered.Select(static r => r.Headers["x-message-id"]).Distinct().Count() < 20 && DateTime.UtcNow < deadline);

        var payloads = delivered.Select(static r => (string)JsonNode.Parse(r.Text)!["payloads"]!).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 20).Select(static i => $"q-{i}").ToHashSet(), payloads);
        var ids = delivered.Select(static r => r.Headers["x-message-id"]).ToList();
        Assert.Equal(20, ids.Distinct().Count());
        Assert.All(delivered, static r => Assert.Equal(r.Headers["x-message-id"], (string)JsonNode.Parse(r.Text)!["messageId"]!));
        Assert.True(ids.Count - 20 <= 20, $"duplicates bounded: {ids.Count - 20}");

        // Harvest's queued entries reached the store too.
        using var admin = await _gateway.LoginAsync();
        var entries = JsonNode.Parse(await admin.GetStringAsync(_gateway.Url("/v1/subscribers/440101234567181/data?limit=100"), Ct))!.AsArray();
        for (var i = 0; i < 50 && entries.Count < 20; i++)
        {
            await Task.Delay(100, Ct);
            entries = JsonNode.Parse(await admin.GetStringAsync(_gateway.Url("/v1/subscribers/440101234567181/data?limit=100"), Ct))!.AsArray();
        }

        var spoolLines = string.Join("\n", (await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct)).Split('\n').Where(static l => l.Contains("harvest", StringComparison.Ordinal)));
        Assert.True(entries.Count == 20, $"{entries.Count} entries; {spoolLines}");

        for (var i = 0; i < 50 && Gauge(await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct), "gateway_spool_depth", "funnel") > 0; i++)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(0, Gauge(await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct), "gateway_spool_depth", "funnel"));
    }

    [Fact]
    public void The_delivery_key_is_checked_with_its_path()
    {
        var errors = new List<string>();
        FunnelConfigValidator.Validate(new JsonObject { ["enabled"] = true, ["delivery"] = "later" }, "groups[g].configuration.SoracomFunnel", errors, new Dictionary<string, string>());
        HarvestConfigValidator.Validate(new JsonObject { ["enabled"] = true, ["delivery"] = 1 }, "groups[g].configuration.SoracomHarvest", errors);
        Assert.Equal(
            ["groups[g].configuration.SoracomFunnel.delivery: must be \"sync\" or \"queued\" (was \"later\")",
             "groups[g].configuration.SoracomHarvest.delivery: must be \"sync\" or \"queued\" (was 1)"],
            errors);
        errors.Clear();
        FunnelConfigValidator.Validate(new JsonObject { ["delivery"] = "queued" }, "p", errors, new Dictionary<string, string>());
        HarvestConfigValidator.Validate(new JsonObject { ["delivery"] = "sync" }, "p", errors);
        Assert.Empty(errors);
    }
}
