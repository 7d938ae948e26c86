using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters;
using Gateway.Adapters.Webhook;
using Gateway.Funnel;
using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Funnel;

/// <summary>FunnelService through a real MessagePipeline, delivering to a real webhook on loopback.</summary>
public sealed class FunnelServiceTests
{
    private const string Reading = """{"temp":21.5,"label":"温度"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Signed_envelope_reaches_the_webhook_and_the_device_gets_200()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.True(result.Succeeded);
        Assert.Equal(200, result.Status);
        Assert.Equal("200"u8.ToArray(), result.NativeText);
        var request = Assert.Single(hook.Requests);
        var id = (string)JsonNode.Parse(request.Body)!["messageId"]!;
        Assert.Equal(
            $$"""{"credentialsId":"hook-psk","operatorId":"OP0012345678","destination":{"provider":"webhook","service":"webhook","resourceUrl":"{{hook.Url()}}"},"sourceProtocol":"udp","payloads":{"temp":21.5,"label":"温度"},"timestamp":1653891795421,"imsi":"440101234567890","imei":"353000000000001","messageId":"{{id}}"}""",
            request.Text);
        Assert.Equal("application/json", request.Headers["content-type"]);
        Assert.Equal(id, request.Headers["x-message-id"]);
        Assert.True(request.Signature!.IsValid, request.Signature.Reason);
        Assert.Equal(FunnelRegistry.Imsi, request.Signature.Identity!.Imsi);
        Assert.Equal(FunnelRegistry.Imei, request.Signature.Identity.Imei);
        Assert.Equal("/hook", request.Path);
    }

    [Fact]
    public async Task Rfc9421_signature_covers_the_target_and_the_body_digest()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url(), destinationExtra: ", \"messageSignatureKeyId\": \"k1\"")));

        Assert.Equal(200, (await funnel.SendAsync(SourceProtocol.Udp, Reading)).Status);

        var request = Assert.Single(hook.Requests);
        Assert.True(request.MessageSignature!.IsValid, request.MessageSignature.Reason);
        Assert.Equal("k1", request.MessageSignature.KeyId);
        Assert.Equal(Gateway.Signing.MessageSignatures.ContentDigest.Compute(request.Body), request.Headers["content-digest"]);
        Assert.True(request.Signature!.IsValid);
    }

    [Fact]
    public async Task Http_device_gets_204_and_mqtt_topic_and_qos_travel_in_the_envelope()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var http = await funnel.SendAsync(SourceProtocol.Http, Reading, "application/json");
        var mqtt = await funnel.Pipeline.ProcessAsync(FunnelRegistry.Message(funnel.Device, SourceProtocol.Mqtt, Reading, topic: "sensors/1", qos: 1), Ct);

        Assert.Equal(204, http.Status);
        Assert.True(http.Body.IsEmpty);
        Assert.Equal(200, Assert.Single(mqtt.Results).Status);
        var envelope = JsonNode.Parse(hook.Requests.Last().Body)!;
        Assert.Equal("mqtt", (string?)envelope["sourceProtocol"]);
        Assert.Equal("sensors/1", (string?)envelope["topic"]);
        Assert.Equal(1, (int)envelope["qos"]!);
    }

    [Fact]
    public async Task Destination_down_is_retried_until_the_deadline_then_502()
    {
        var port = TestWebhook.FreePort();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel($"http://127.0.0.1:{port}/hook")), deliveryTimeoutSeconds: 1);
        var clock = Stopwatch.StartNew();

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.Equal(502, result.Status);
        Assert.Equal($"could not reach 127.0.0.1:{port} (ConnectionRefused)", result.Failure);
        Assert.Equal(Encoding.UTF8.GetBytes($"502 could not reach 127.0.0.1:{port} (ConnectionRefused)"), result.NativeText);
        Assert.True(clock.Elapsed > TimeSpan.FromMilliseconds(600), $"gave up after {clock.Elapsed}: it should retry until the deadline");
    }

    [Fact]
    public async Task Destination_that_comes_up_during_the_retries_gets_the_message()
    {
        var port = TestWebhook.FreePort();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel($"http://127.0.0.1:{port}/hook")), deliveryTimeoutSeconds: 10);

        var sending = funnel.SendAsync(SourceProtocol.Tcp, Reading);
        await Task.Delay(300, Ct);
        Assert.False(sending.IsCompleted);
        await using var hook = await TestWebhook.StartAsync(port);
        var result = await sending;

        Assert.Equal(200, result.Status);
        Assert.Single(hook.Requests);
    }

    [Fact]
    public async Task Slow_destination_times_out_with_504()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Delay = TimeSpan.FromSeconds(10);
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url(), destinationExtra: ", \"timeoutSeconds\": 0.8")), deliveryTimeoutSeconds: 3);

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.True(result.Status == 504, $"{result.Status} {result.Failure}");
        Assert.StartsWith("504 ", Encoding.UTF8.GetString(result.NativeText), StringComparison.Ordinal);
        Assert.True(hook.Requests.Count >= 2, $"{hook.Requests.Count} attempts: a timeout is transient and retried");
    }

    [Fact]
    public async Task Server_error_then_success_is_delivered_once_after_one_retry()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Answer(500);
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.Equal(200, result.Status);
        var attempts = hook.Requests.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(attempts[0].Text, attempts[1].Text);
        Assert.Equal(attempts[0].Headers["x-message-id"], attempts[1].Headers["x-message-id"]);

        // Signed afresh for the retry, so a verifier with a replay cache takes it.
        Assert.True(attempts[1].Signature!.IsValid, attempts[1].Signature!.Reason);
    }

    [Fact]
    public async Task Throttling_is_transient_and_retried()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Answer(429, 503);
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.Equal(200, result.Status);
        Assert.Equal(3, hook.Requests.Count);
    }

    [Fact]
    public async Task A_per_sim_credential_set_is_resolved_for_the_device_and_a_missing_one_is_a_500()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var missing = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url(), credentialsId: "hook-#{imsi}")));

        var result = await missing.SendAsync(SourceProtocol.Udp, Reading);

        Assert.Equal(500, result.Status);
        Assert.Equal($"Funnel is misconfigured: no credential set 'hook-{FunnelRegistry.Imsi}'", result.Failure);
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task Client_error_is_permanent_and_not_retried()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Answer(400, 400, 400);
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);
        await Task.Delay(200, Ct);

        Assert.Equal(400, result.Status);
        Assert.Equal($"127.0.0.1:{hook.Port} answered 400", result.Failure);
        Assert.Single(hook.Requests);
    }

    [Fact]
    public async Task Oversize_message_is_refused_with_413_without_sending()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url(), destinationExtra: ", \"maxBodyBytes\": 300")));

        var result = await funnel.SendAsync(SourceProtocol.Http, $$"""{"blob":"{{new string('x', 400)}}"}""", "application/json");

        Assert.Equal(413, result.Status);
        Assert.Equal("""{"message":"Maximum content-length is: 300"}""", Encoding.UTF8.GetString(result.Body.Span));
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task Invalid_json_is_refused_in_each_entry_points_form()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        var udp = await funnel.SendAsync(SourceProtocol.Udp, "temp=21.5");
        var tcp = await funnel.SendAsync(SourceProtocol.Tcp, "{\"temp\":");
        var http = await funnel.SendAsync(SourceProtocol.Http, "<temp/>", "application/json");

        Assert.Equal("400 Invalid JSON is send to funnel."u8.ToArray(), udp.NativeText);
        Assert.False(udp.CloseConnection);
        Assert.Equal("400 Invalid JSON is send to funnel."u8.ToArray(), tcp.NativeText);
        Assert.True(tcp.CloseConnection);
        Assert.Equal(400, http.Status);
        Assert.Equal("""{"message":"Invalid JSON is send to funnel."}""", Encoding.UTF8.GetString(http.Body.Span));
        Assert.Equal("application/json", http.NativeContentType);
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task Imsi_placeholder_names_the_target_and_payloads_only_sends_the_payloads()
    {
        await using var hook = await TestWebhook.StartAsync();
        var funnelJson = FunnelRegistry.Funnel(hook.Url("/devices/#{imsi}"), destinationExtra: ", \"payloadsOnly\": true");
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(funnelJson));

        var result = await funnel.SendAsync(SourceProtocol.Udp, Reading);

        Assert.Equal(200, result.Status);
        var request = Assert.Single(hook.Requests);
        Assert.Equal($"/devices/{FunnelRegistry.Imsi}", request.Path);
        Assert.Equal(Reading, request.Text);
        Assert.True(request.Signature!.IsValid);
    }

    [Fact]
    public async Task Only_enabled_groups_are_served_and_never_anonymous_devices_when_the_destination_needs_an_IMSI()
    {
        await using var hook = await TestWebhook.StartAsync();
        await using var disabled = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url(), enabled: false)));
        await using var enabled = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url("/#{imsi}"))));
        var funnel = enabled.Services.GetServices<IDeviceService>().Single();
        var anonymous = new DeviceIdentity(Subscriber.AnonymousIn(FunnelRegistry.GroupId), enabled.Device.Group, null, RefusalReason.None);

        Assert.False(disabled.Pipeline.Serves(disabled.Device, SourceProtocol.Udp));
        foreach (var protocol in Enum.GetValues<SourceProtocol>())
        {
            Assert.True(enabled.Pipeline.Serves(enabled.Device, protocol, "funnel"));
        }

        Assert.Equal("funnel", funnel.Name);
        Assert.False(funnel.Accepts(anonymous, SourceProtocol.Udp));
    }

    [Fact]
    public async Task Failures_are_kept_in_the_error_log_under_the_subscriber()
    {
        await using var hook = await TestWebhook.StartAsync();
        hook.Answer(403);
        await using var funnel = FunnelHarness.Create(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url())));

        await funnel.SendAsync(SourceProtocol.Udp, Reading);
        await funnel.SendAsync(SourceProtocol.Tcp, "not json");

        var (entries, more) = funnel.ErrorLog.List(new ErrorLogQuery("Subscriber", FunnelRegistry.Imsi, "Funnel", null, null, 10, null));
        Assert.False(more);
        Assert.Equal(2, entries.Count);
        Assert.Equal((400, "Invalid JSON is send to funnel.", "tcp"), (entries[0].StatusCode, entries[0].Message, entries[0].SourceProtocol));
        Assert.Equal((403, $"127.0.0.1:{hook.Port} answered 403", "udp", "webhook/webhook"), (entries[1].StatusCode, entries[1].Message, entries[1].SourceProtocol, entries[1].Destination));
        Assert.Equal(JsonNode.Parse(hook.Requests.Single().Body)!["messageId"]!.GetValue<string>(), entries[1].MessageId);
        Assert.DoesNotContain(FunnelRegistry.Psk, string.Join(" ", entries.Select(static e => e.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_adapter_is_reused_and_disposed_once_the_configuration_changes()
    {
        await using var hook = await TestWebhook.StartAsync();
        var counting = new CountingFactory();
        var seed = FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url()));
        await using var funnel = FunnelHarness.Create(seed, configure: s => s.AddSingleton<IFunnelAdapterFactory>(counting));

        await funnel.SendAsync(SourceProtocol.Udp, Reading);
        await funnel.SendAsync(SourceProtocol.Udp, Reading);
        funnel.Resolver.Publish(FunnelRegistry.Snapshot(seed, version: 2));
        await funnel.SendAsync(SourceProtocol.Udp, Reading);
        Assert.Equal((1, 0), (counting.Created, counting.Disposed));

        // The destination changes: the old adapter is let go even with no further traffic.
        funnel.Resolver.Publish(FunnelRegistry.Snapshot(FunnelRegistry.Seed(FunnelRegistry.Funnel(hook.Url("/v2"))), version: 3));
        for (var i = 0; i < 100 && counting.Disposed == 0; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal((1, 1), (counting.Created, counting.Disposed));
        await funnel.SendAsync(SourceProtocol.Udp, Reading);
        Assert.Equal(2, counting.Created);
        Assert.Equal("/v2", hook.Requests.Last().Path);
    }

    /// <summary>The webhook factory, counting the adapters it makes and the ones disposed.</summary>
    private sealed class CountingFactory : IFunnelAdapterFactory
    {
        private readonly WebhookAdapterFactory _inner = new();
        private int _created;
        private int _disposed;

        public int Created => Volatile.Read(ref _created);

        public int Disposed => Volatile.Read(ref _disposed);

        public string Provider => _inner.Provider;

        public string Service => _inner.Service;

        public IReadOnlyList<string> CredentialTypes => _inner.CredentialTypes;

        public void Validate(FunnelDestination destination, string path, List<string> errors) => _inner.Validate(destination, path, errors);

        public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context)
        {
            Interlocked.Increment(ref _created);
            return new Counted(_inner.Create(destination, credentials, context), this);
        }

        private sealed class Counted(IFunnelAdapter inner, CountingFactory owner) : IFunnelAdapter
        {
            public int MaxBatchSize => inner.MaxBatchSize;

            public int MaxMessageBytes => inner.MaxMessageBytes;

            public Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken) =>
                inner.SendAsync(batch, results, cancellationToken);

            public async ValueTask DisposeAsync()
            {
                await inner.DisposeAsync();
                Interlocked.Increment(ref owner._disposed);
            }
        }
    }
}
