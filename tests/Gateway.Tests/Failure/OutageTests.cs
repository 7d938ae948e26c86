using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Aws;
using Gateway.Adapters.Tests.Kinesis;
using Gateway.Adapters.Tests.PubSub;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Failure;

/// <summary>
/// Destination outages mid-load (trait <c>Category=Failure</c>; <c>tests/failure/run.sh</c> runs them): three UDP
/// devices in a closed loop against the real gateway binary, the destination stopped after 2 s (its process, or for
/// the in-test peers their listener and every connection), restored on the same port 3 s later, the load kept up 2 s
/// more. In <c>queued</c> mode (kinesalite, the Pub/Sub emulator, Event Hubs' local AMQP peer, the Firehose and AWS
/// IoT contract peers, a webhook) the devices go on being acknowledged while the destination is down and every
/// acknowledged message reaches it once it is back; in <c>sync</c> mode (Beam UDP→HTTP) the devices get the error while
/// it is down and every message they were acknowledged had reached the upstream. Duplicates are counted by message ID
/// and bounded (<see cref="LoadRun"/>).
/// </summary>
[Trait("Category", "Failure")]
[Collection(Name)]
public sealed class OutageTests(ITestOutputHelper output)
{
    /// <summary>The long runs share the machine's two cores badly: one at a time.</summary>
    public const string Name = "failure runs";

    private const string Imsi = "440101234567195";
    private static readonly string[] s_devices = ["127.0.0.194", "127.0.0.195", "127.0.0.196"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<GatewayChild> StartGatewayAsync(string configuration, string credentials = "")
    {
        var child = new GatewayChild();
        var subscribers = string.Join(",", s_devices.Select((d, i) => $$"""{ "imsi": "{{Imsi[..^1]}}{{i}}", "groupId": "g-o", "ipAddress": "{{d}}" }"""));
        var seed = $$"""
            { "credentials": [ {{credentials}} ],
              "groups": [ { "groupId": "g-o", "configuration": { {{configuration}} } } ],
              "subscribers": [ {{subscribers}} ] }
            """;
        var path = Path.Combine(child.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        child.ExtraArgs = ["--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "2",
            "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "500"];
        try
        {
            await child.StartAsync(Ct);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    private static string Queued(string destination, string credentialsId = "") =>
        $$""" "SoracomFunnel": { "enabled": true, "delivery": "queued", "contentType": "text", "destination": {{destination}}{{(credentialsId.Length > 0 ? $", \"credentialsId\": \"{credentialsId}\"" : "")}} } """;

    /// <summary>What the devices were acknowledged before the stop, while the destination was down, and in all.</summary>
    private sealed record Outcome(List<UdpDevice> Devices, HashSet<string> BeforeStop, HashSet<string> WhileDown, HashSet<string> All);

    private static async Task<Outcome> OutageAsync(GatewayChild gateway, string prefix, Func<Task> stopDestination, Func<Task> restoreDestination)
    {
        using var load = new CancellationTokenSource();
        var devices = LoadRun.Devices(s_devices, gateway.UnifiedPort, prefix);
        var running = LoadRun.Start(devices, load.Token);
        await Task.Delay(2000, Ct);
        var beforeStop = LoadRun.Acknowledged(devices);
        await stopDestination();
        await Task.Delay(3000, Ct);
        var whileDown = LoadRun.Acknowledged(devices);
        await restoreDestination();
        whileDown.ExceptWith(beforeStop);
        await Task.Delay(2000, Ct);
        await load.CancelAsync();
        await Task.WhenAll(running);
        return new Outcome(devices, beforeStop, whileDown, LoadRun.Acknowledged(devices));
    }

    /// <summary>Queued mode: nobody was refused, and devices went on being acknowledged while the destination was down.</summary>
    private static void AssertAcknowledgedThroughout(Outcome run)
    {
        Assert.Equal(0, run.Devices.Sum(static d => d.Refused));
        Assert.True(run.BeforeStop.Count > 20, $"only {run.BeforeStop.Count} acknowledged before the stop");
        Assert.True(run.WhileDown.Count > 20, $"only {run.WhileDown.Count} acknowledged while the destination was down");
    }

    [Fact]
    public async Task Kinesalite_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged()
    {
        // kinesalite keeps its stream on disk here, so what it took before it was killed is still there after: every
        // message acknowledged in the whole run is counted.
        var store = Directory.CreateTempSubdirectory("gw-kinesalite-").FullName;
        var kinesalite = await Kinesalite.StartAsync(LoadRun.RestartablePort(), store);
        try
        {
            var port = kinesalite.Port;
            await kinesalite.CreateStreamAsync("fout");
            await using var gateway = await StartGatewayAsync(Queued($$"""{ "provider": "aws", "service": "kinesis", "resourceUrl": "{{kinesalite.Url}}/fout" }""", "aws-1"), LoadRun.AwsCredentials);

            var run = await OutageAsync(gateway, "ks",
                async () => await kinesalite.DisposeAsync(),
                async () => kinesalite = await Kinesalite.StartAsync(port, store));

            AssertAcknowledgedThroughout(run);
            var got = await LoadRun.AwaitAllAsync(run.All, async () => [.. (await kinesalite.ReadAsync("fout")).Select(static r => LoadRun.Envelope(r.Data))], Ct);
            LoadRun.Report(output, "kinesalite outage", run.All, got, run.Devices);
        }
        finally
        {
            await kinesalite.DisposeAsync();
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task Pubsub_emulator_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged()
    {
        PubSubEmulator.SkipIfMissing();
        const string Project = "gw-outage";
        var front = LoadRun.RestartablePort();
        await using var emulator = await PubSubEmulator.StartAsync(LoadRun.RestartablePort());
        var (topic, subscription) = await emulator.CreateAsync(Project, "fout");
        var forward = await TcpForward.StartAsync(front, emulator.Port);
        using var pulling = new CancellationTokenSource();
        using var gate = new SemaphoreSlim(1, 1);
        var puller = Task.CompletedTask;
        try
        {
            var (keyFile, _) = FunnelPubSubTests.NewKeyFile();
            var credentials = $$"""{ "credentialsId": "gcp-1", "type": "google-service-account-json", "credentials": { "credentials": {{JsonValue.Create(keyFile).ToJsonString()}} } }""";
            await using var gateway = await StartGatewayAsync(
                Queued($$"""{ "provider": "google", "service": "pubsub", "resourceUrl": "{{topic}}", "endpoint": "http://127.0.0.1:{{front}}" }""", "gcp-1"), credentials);

            // The emulator keeps everything in memory, so it is drained before it is killed: the forwarder is stopped
            // first (the gateway sees the destination down), then the subscriber, which pulls all along, pulls until
            // nothing is left, and only then the emulator dies. So every message it accepted is counted and every
            // message acknowledged in the run must arrive. The restarted emulator gets its topic back before the
            // forwarder lets the gateway reach it (a missing topic is a permanent refusal, which a real Pub/Sub
            // outage does not cause).
            var pulled = new ConcurrentQueue<(string Id, string Payload)>();
            puller = PullAllAsync(emulator, subscription, pulled, gate, pulling.Token);
            var run = await OutageAsync(gateway, "ps",
                async () =>
                {
                    await forward.DisposeAsync();
                    await gate.WaitAsync(Ct);
                    try
                    {
                        for (var empty = 0; empty < 2;)
                        {
                            var batch = await emulator.PullAsync(subscription, 100_000, TimeSpan.FromMilliseconds(500));
                            empty = batch.Count == 0 ? empty + 1 : 0;
                            foreach (var message in batch)
                            {
                                pulled.Enqueue(LoadRun.Envelope(message.Data));
                            }
                        }

                        await emulator.KillAsync();
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                async () =>
                {
                    await emulator.StartAsync();
                    await emulator.CreateAsync(Project, "fout");
                    forward = await TcpForward.StartAsync(front, emulator.Port);
                });

            AssertAcknowledgedThroughout(run);
            var got = await LoadRun.AwaitAllAsync(run.All, () => Task.FromResult(pulled.ToList()), Ct);
            LoadRun.Report(output, "pubsub outage", run.All, got, run.Devices);
        }
        finally
        {
            await pulling.CancelAsync();
            await puller;
            await forward.DisposeAsync();
        }
    }

    /// <summary>
    /// Pulls from the emulator until cancelled, through its restarts (a failed pull is tried again), each pull under
    /// <paramref name="gate"/> so that the drain before the kill has the subscription to itself.
    /// </summary>
    private static async Task PullAllAsync(PubSubEmulator emulator, string subscription, ConcurrentQueue<(string Id, string Payload)> pulled, SemaphoreSlim gate, CancellationToken stop)
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                foreach (var message in await emulator.PullAsync(subscription, 100_000, TimeSpan.FromMilliseconds(300)))
                {
                    pulled.Enqueue(LoadRun.Envelope(message.Data));
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                // Down or restarting (or its subscription not yet made again).
                await Task.Delay(100, CancellationToken.None);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    [Fact]
    public async Task Event_hubs_peer_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged()
    {
        // The peer is in-process and keeps what it accepted across its stop (every connection aborted, the listener
        // closed: transfers under way get no outcome, as from a crashed service), so the whole run is counted.
        using var peer = LoadRun.EventHubs("fout");
        await using var gateway = await StartGatewayAsync(
            Queued($$"""{ "provider": "azure", "service": "eventhubs", "resourceUrl": "amqp://127.0.0.1:{{peer.Port}}/fout" }""", "eh-1"), LoadRun.EventHubsCredentials);

        var run = await OutageAsync(gateway, "eh", () =>
        {
            peer.Stop();
            return Task.CompletedTask;
        }, () =>
        {
            peer.Start(peer.Port);
            return Task.CompletedTask;
        });

        AssertAcknowledgedThroughout(run);
        var got = await LoadRun.AwaitAllAsync(run.All, () => Task.FromResult<List<(string, string)>>([.. peer.Events.Select(static e => LoadRun.Envelope(e.Body))]), Ct);
        LoadRun.Report(output, "event hubs outage", run.All, got, run.Devices);
    }

    [Theory]
    [InlineData("firehose", "firehose")]
    [InlineData("iotdata", "aws-iot")]
    public async Task Aws_contract_peer_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged(string peerService, string service)
    {
        // The in-test Firehose / AWS IoT peer keeps what it accepted across its stop, so the whole run is counted.
        await using var peer = await FakeAws.StartAsync(peerService, port: LoadRun.RestartablePort());
        await using var gateway = await StartGatewayAsync(
            Queued($$"""{ "provider": "aws", "service": "{{service}}", "resourceUrl": "{{peer.Url}}/fout" }""", "aws-1"), LoadRun.AwsCredentials);

        var run = await OutageAsync(gateway, service[..2], peer.StopAsync, peer.RestartAsync);

        AssertAcknowledgedThroughout(run);
        var got = await LoadRun.AwaitAllAsync(run.All, () => Task.FromResult<List<(string, string)>>([.. peer.Accepted.Select(static r => LoadRun.Envelope(r.Data))]), Ct);
        LoadRun.Report(output, $"{service} outage", run.All, got, run.Devices);
        Assert.All(peer.Checks, Assert.Null);
    }

    [Fact]
    public async Task Webhook_stopped_mid_load_and_restored_in_queued_mode_loses_nothing_acknowledged()
    {
        var hook = await TestWebhook.StartAsync(LoadRun.RestartablePort());
        var port = hook.Port;
        var received = new List<WebhookRequest>();
        try
        {
            await using var gateway = await StartGatewayAsync(Queued($$"""{ "provider": "webhook", "service": "webhook", "resourceUrl": "{{hook.Url()}}" }"""));

            var run = await OutageAsync(gateway, "wh",
                async () =>
                {
                    await hook.DisposeAsync();
                    received.AddRange(hook.Requests);
                },
                async () => hook = await TestWebhook.StartAsync(port));

            AssertAcknowledgedThroughout(run);
            var got = await LoadRun.AwaitAllAsync(run.All, () => Task.FromResult<List<(string, string)>>(
                [.. received.Concat(hook.Requests).Select(static r => (r.Headers["x-message-id"], LoadRun.Payload(r.Body)))]), Ct);
            LoadRun.Report(output, "webhook outage", run.All, got, run.Devices);
        }
        finally
        {
            await hook.DisposeAsync();
        }
    }

    [Fact]
    public async Task Beam_upstream_stopped_mid_load_in_sync_mode_refuses_while_down_and_loses_nothing_acknowledged()
    {
        var hook = await TestWebhook.StartAsync(LoadRun.RestartablePort());
        var port = hook.Port;
        var received = new List<WebhookRequest>();
        try
        {
            await using var gateway = await StartGatewayAsync($$""" "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "{{hook.Url("/beam")}}", "enabled": true } } """);

            var run = await OutageAsync(gateway, "bm",
                async () =>
                {
                    await hook.DisposeAsync();
                    received.AddRange(hook.Requests);
                },
                async () => hook = await TestWebhook.StartAsync(port));

            // Beam's reply is the upstream's: while it is down the devices get the error, not an acknowledgement, and
            // every 200 came after the upstream had the message. Beam has no message ID: a payload is the identity.
            var refusals = run.Devices.SelectMany(static d => d.Refusals.Keys).ToHashSet();
            Assert.Contains("502 upstream refused the connection", refusals);
            Assert.True(run.All.Count > run.BeforeStop.Count + run.WhileDown.Count, "acknowledged again once the upstream was back");
            var got = received.Concat(hook.Requests).Select(static r => Beam(r.Body)).Select(static p => (p, p)).ToList();
            LoadRun.Report(output, "beam upstream outage (sync)", run.All, got, run.Devices);
        }
        finally
        {
            await hook.DisposeAsync();
        }
    }

    /// <summary>The device's bytes in Beam's UDP→HTTP body, <c>{"payload": base64}</c>.</summary>
    private static string Beam(byte[] body) => Encoding.UTF8.GetString(Convert.FromBase64String((string)JsonNode.Parse(body)!["payload"]!));
}
