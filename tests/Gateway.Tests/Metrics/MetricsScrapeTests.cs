using System.Net;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Metrics;

/// <summary>
/// <c>/metrics</c> on a running gateway, scraped over HTTP and read as Prometheus text after real traffic: a UDP
/// datagram and a TCP message (socat), an HTTP POST (curl) and an MQTT PUBLISH (mosquitto_pub) delivered to a webhook through Funnel, and a datagram from an unknown
/// address. Meters are process-wide and other gateways may run in this process, so counters are compared before
/// and after, and asserted to have moved at least as far as this test moved them.
/// </summary>
public sealed class MetricsScrapeTests : IAsyncLifetime
{
    private const string Device = FunnelRegistry.DeviceAddress;
    private const string Stranger = "127.0.0.22";
    private const string Destination = "webhook/webhook";

    private readonly GatewayProcess _gateway = new();
    private TestWebhook _hook = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _hook = await TestWebhook.StartAsync();
        var seed = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, FunnelRegistry.Seed(FunnelRegistry.Funnel(_hook.Url())), Ct);
        await _gateway.StartAsync("--registry", seed);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _hook.DisposeAsync();
    }

    [Fact]
    public async Task Traffic_moves_the_counters_and_histograms_with_the_right_labels()
    {
        var before = await ScrapeAsync();

        await Socat.RunAsync("{\"temp\":21.5}"u8.ToArray(), $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={Device}", waitSeconds: 3);
        await Socat.RunAsync("{\"temp\":1}"u8.ToArray(), $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={Stranger}", waitSeconds: 1);
        var (status, _, _) = await Curl.RunAsync(
            Device, "-X", "POST", "-H", "Host: funnel.soracom.io", "-H", "Content-Type: application/json", "--data-binary", "{\"temp\":22}",
            $"http://127.0.0.1:{_gateway.DeviceHttpPort}/");
        Assert.Equal(204, status);
        await Socat.RunAsync("{\"temp\":23}"u8.ToArray(), $"TCP:127.0.0.1:{_gateway.UnifiedPort},bind={Device}", waitSeconds: 3);
        var (code, _, error) = await Mosquitto.RunAsync(
            "mosquitto_pub", "-h", "127.0.0.1", "-p", _gateway.MqttPipelinePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-A", Device,
            "-V", "mqttv5", "-q", "1", "-i", "metrics-test", "-t", "metrics/test", "-m", "{\"temp\":24}");
        Assert.True(code == 0, error);
        Assert.Equal(4, _hook.Requests.Count);

        // A histogram is recorded just after its reply is sent: poll briefly rather than race it.
        PrometheusText after = null!;
        for (var i = 0; i < 50; i++)
        {
            after = await ScrapeAsync();
            if (Count(after, "gateway_beam_request_duration_seconds", ("entry_point", "udp")) > Count(before, "gateway_beam_request_duration_seconds", ("entry_point", "udp"))
                && Count(after, "gateway_beam_request_duration_seconds", ("entry_point", "tcp")) > Count(before, "gateway_beam_request_duration_seconds", ("entry_point", "tcp"))
                && Count(after, "gateway_devices_request_duration_seconds", ("entry_point", "funnel-http")) > Count(before, "gateway_devices_request_duration_seconds", ("entry_point", "funnel-http")))
            {
                break;
            }

            await Task.Delay(100, Ct);
        }

        // Counters: the exporter's names (dots to underscores, _total) and our tags as labels.
        Assert.Equal("counter", after["gateway_funnel_sent_total"].Type);
        Assert.True(Delta(before, after, "gateway_funnel_sent_total", ("destination", Destination)) >= 4);
        Assert.True(Delta(before, after, "gateway_devices_messages_total", ("entry_point", "funnel-http"), ("result", "ok")) >= 1);
        Assert.True(Delta(before, after, "gateway_devices_messages_total", ("entry_point", "mqtt"), ("result", "ok")) >= 1);
        Assert.True(Delta(before, after, "gateway_devices_mqtt_connections_total", ("entry_point", "mqtt"), ("result", "ok")) >= 1);
        Assert.True(Delta(before, after, "gateway_beam_messages_total", ("entry_point", "udp"), ("result", "refused_unknown_device")) >= 1);
        Assert.True(Delta(before, after, "gateway_identity_refusals_total", ("reason", "unknown_device")) >= 1);
        Assert.False(string.IsNullOrEmpty(after["gateway_funnel_sent_total"].Help));

        // Histograms: seconds, per entry point and per destination, consistent, and counting what was sent.
        foreach (var (family, labels, sent) in (IEnumerable<(string, (string, string)[], int)>)
            [
                ("gateway_beam_request_duration_seconds", [("entry_point", "udp")], 1),
                ("gateway_beam_request_duration_seconds", [("entry_point", "tcp")], 1),
                ("gateway_devices_request_duration_seconds", [("entry_point", "funnel-http")], 1),
                ("gateway_devices_request_duration_seconds", [("entry_point", "mqtt")], 1),
                ("gateway_funnel_delivery_duration_seconds", [("destination", Destination), ("outcome", "delivered")], 4),
            ])
        {
            Assert.Equal("histogram", after[family].Type);
            var was = before.HistogramOf(family, labels);
            var now = after.HistogramOf(family, labels);
            now.AssertConsistent(family);
            Assert.True(now.Count - was.Count >= sent, $"{family}: {was.Count} -> {now.Count}");
            Assert.True(now.Sum > was.Sum && now.Sum - was.Sum < 30 * (now.Count - was.Count), $"{family}: sum {was.Sum} -> {now.Sum} (seconds)");

            // Buckets are the gateway's seconds bounds, not the SDK's millisecond defaults.
            Assert.Contains(now.Buckets, static b => b.Le == 0.001);
        }

        // Each of the gateway's meters that saw traffic is there, with the platform's.
        var scopes = after.Families.Values.SelectMany(static f => f.Samples).Select(static s => s.Labels.GetValueOrDefault("otel_scope_name")).ToHashSet();
        Assert.Superset(new HashSet<string?> { "Gateway.Beam", "Gateway.Devices", "Gateway.Funnel", "Gateway.Identity", "System.Runtime", "Microsoft.AspNetCore.Server.Kestrel" }, scopes);
    }

    [Fact]
    public async Task The_scrape_holds_no_secret()
    {
        await Socat.RunAsync("{\"temp\":3}"u8.ToArray(), $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={Device}", waitSeconds: 3);
        var text = await _gateway.Client.GetStringAsync(_gateway.Url("/metrics"), Ct);
        Assert.Contains("gateway_funnel_sent_total", text, StringComparison.Ordinal);
        foreach (var secret in (string[])[FunnelRegistry.Psk, "s3cr3t", "AKIAEXAMPLE", GatewayProcess.RootKey, _hook.Url()])
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_scrape_is_served_on_the_admin_port_only()
    {
        var response = await _gateway.Client.GetAsync(_gateway.Url("/metrics"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);

        // The device HTTP listener answers as a device port: /metrics there is a device request, refused.
        var (status, body, _) = await Curl.RunAsync(Stranger, $"http://127.0.0.1:{_gateway.DeviceHttpPort}/metrics");
        Assert.NotEqual(200, status);
        Assert.DoesNotContain("# TYPE", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_collector_pauses_are_exported_by_generation()
    {
        // The gateway runs in this process: a forced full collection here is one of its pauses.
        var before = Count(await ScrapeAsync(), "gateway_gc_pause_seconds", ("generation", "2"));
        var after = before;
        for (var i = 0; i < 100 && after <= before; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(100, Ct);
            after = Count(await ScrapeAsync(), "gateway_gc_pause_seconds", ("generation", "2"));
        }

        Assert.True(after > before, $"no generation 2 pause exported ({before} before, {after} after)");
    }

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await _gateway.Client.GetAsync(_gateway.Url("/metrics"), Ct);
        response.EnsureSuccessStatusCode();
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    private static double Delta(PrometheusText before, PrometheusText after, string family, params (string, string)[] labels) =>
        after.Value(family, labels) - before.Value(family, labels);

    private static double Count(PrometheusText scrape, string family, params (string, string)[] labels) => scrape.HistogramOf(family, labels).Count;
}
