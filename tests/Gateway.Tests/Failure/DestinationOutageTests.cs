using System.Text;
using System.Text.Json.Nodes;
using Gateway.Adapters.Tests.Aws;
using Gateway.Adapters.Tests.Kinesis;
using Gateway.Adapters.Tests.PubSub;
using Gateway.Tests.Admin;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Failure;

/// <summary>
/// The fast part of the outage runs, in the normal run (<see cref="OutageTests"/> has the long ones): each
/// destination's process is stopped, a device sends 10 messages, the destination is started again. In
/// <c>queued</c> mode all 10 are acknowledged while it is down and all 10 reach it once it is back, each with the
/// envelope's message ID, duplicates bounded; Beam (<c>sync</c>) answers the device with the error while its upstream is down.
/// </summary>
public sealed class DestinationOutageTests
{
    private const int Count = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<GatewayProcess> StartGatewayAsync(string imsi, string device, string configuration, string credentials = "")
    {
        var gateway = new GatewayProcess();
        var seed = $$"""
            { "credentials": [ {{credentials}} ],
              "groups": [ { "groupId": "g-d", "configuration": { {{configuration}} } } ],
              "subscribers": [ { "imsi": "{{imsi}}", "groupId": "g-d", "ipAddress": "{{device}}" } ] }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await gateway.StartAsync("--registry", path, "--Gateway:Funnel:DeliveryTimeoutSeconds", "1",
            "--Gateway:Spool:RetryBaseDelayMilliseconds", "50", "--Gateway:Spool:RetryMaxDelayMilliseconds", "300");
        return gateway;
    }

    private static string Queued(string destination, string credentialsId = "") =>
        $$""" "SoracomFunnel": { "enabled": true, "delivery": "queued", "contentType": "text", "destination": {{destination}}{{(credentialsId.Length > 0 ? $", \"credentialsId\": \"{credentialsId}\"" : "")}} } """;

    /// <summary>Sends <see cref="Count"/> messages while the destination is down: every one is acknowledged from the spool.</summary>
    private static async Task<UdpDevice> SendWhileDownAsync(string address, int port, string prefix)
    {
        var device = new UdpDevice(address, port, prefix);
        await device.RunAsync(Count, Ct);
        Assert.Empty(device.Refusals);
        Assert.Equal(Count, device.Acknowledged.Count);
        return device;
    }

    /// <summary>
    /// Polls <paramref name="received"/> until it holds every message, then checks that nothing else came, each with
    /// its own ID, and duplicates (at-least-once: an attempt that timed out on the gateway's side but arrived) bounded.
    /// </summary>
    private static async Task AssertAllArrivedAsync(UdpDevice device, Func<Task<List<(string Id, string Payload)>>> received)
    {
        var got = await LoadRun.AwaitAllAsync(device.Acknowledged.ToHashSet(), received, Ct);
        Assert.Equal(device.Acknowledged.Order(), got.Select(static g => g.Payload).Distinct().Order());
        Assert.Equal(Count, got.Select(static g => g.Id).Distinct().Count());
        Assert.Equal(Count, got.Distinct().Count());
        Assert.True(got.Count <= 2 * Count, $"{got.Count - Count} duplicates of {Count} messages");
    }

    [Fact]
    public async Task Kinesalite_down_then_back_every_queued_message_arrives()
    {
        var store = Directory.CreateTempSubdirectory("gw-kinesalite-").FullName;
        var kinesalite = await Kinesalite.StartAsync(LoadRun.RestartablePort(), store);
        try
        {
            var port = kinesalite.Port;
            await kinesalite.CreateStreamAsync("qout");
            await using var gateway = await StartGatewayAsync("440101234567185", "127.0.0.185",
                Queued($$"""{ "provider": "aws", "service": "kinesis", "resourceUrl": "{{kinesalite.Url}}/qout" }""", "aws-1"), LoadRun.AwsCredentials);
            await kinesalite.DisposeAsync();

            var device = await SendWhileDownAsync("127.0.0.185", gateway.UnifiedPort, "k");
            kinesalite = await Kinesalite.StartAsync(port, store);

            await AssertAllArrivedAsync(device, async () => [.. (await kinesalite.ReadAsync("qout")).Select(static r => LoadRun.Envelope(r.Data))]);
        }
        finally
        {
            await kinesalite.DisposeAsync();
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task Pubsub_emulator_down_then_back_every_queued_message_arrives()
    {
        PubSubEmulator.SkipIfMissing();
        var front = LoadRun.RestartablePort();
        await using var emulator = await PubSubEmulator.StartAsync(LoadRun.RestartablePort());
        var (topic, subscription) = await emulator.CreateAsync("gw-outage", "qout");
        var forward = await TcpForward.StartAsync(front, emulator.Port);
        try
        {
            var (keyFile, _) = FunnelPubSubTests.NewKeyFile();
            var credentials = $$"""{ "credentialsId": "gcp-1", "type": "google-service-account-json", "credentials": { "credentials": {{JsonValue.Create(keyFile).ToJsonString()}} } }""";
            await using var gateway = await StartGatewayAsync("440101234567186", "127.0.0.186",
                Queued($$"""{ "provider": "google", "service": "pubsub", "resourceUrl": "{{topic}}", "endpoint": "http://127.0.0.1:{{front}}" }""", "gcp-1"), credentials);
            await forward.DisposeAsync();
            await emulator.KillAsync();

            var device = await SendWhileDownAsync("127.0.0.186", gateway.UnifiedPort, "p");

            // The emulator forgets its topics: they are made again before the gateway can reach it (OutageTests says why).
            await emulator.StartAsync();
            await emulator.CreateAsync("gw-outage", "qout");
            forward = await TcpForward.StartAsync(front, emulator.Port);
            var pulled = new List<(string Id, string Payload)>();
            await AssertAllArrivedAsync(device, async () =>
            {
                pulled.AddRange((await emulator.PullAsync(subscription, Count, TimeSpan.FromSeconds(1))).Select(static m => LoadRun.Envelope(m.Data)));
                return pulled;
            });
        }
        finally
        {
            await forward.DisposeAsync();
        }
    }

    [Fact]
    public async Task Event_hubs_peer_down_then_back_every_queued_message_arrives()
    {
        using var peer = LoadRun.EventHubs("qout");
        await using var gateway = await StartGatewayAsync("440101234567177", "127.0.0.177",
            Queued($$"""{ "provider": "azure", "service": "eventhubs", "resourceUrl": "amqp://127.0.0.1:{{peer.Port}}/qout" }""", "eh-1"), LoadRun.EventHubsCredentials);
        peer.Stop();

        var device = await SendWhileDownAsync("127.0.0.177", gateway.UnifiedPort, "e");
        Assert.Empty(peer.Events);
        peer.Start(peer.Port);

        await AssertAllArrivedAsync(device, () => Task.FromResult<List<(string, string)>>([.. peer.Events.Select(static e => LoadRun.Envelope(e.Body))]));
        Assert.All(peer.Events, static e => Assert.Equal(e.MessageId, LoadRun.Envelope(e.Body).Id));
    }

    [Theory]
    [InlineData("firehose", "firehose", "127.0.0.178")]
    [InlineData("iotdata", "aws-iot", "127.0.0.180")]
    public async Task Aws_contract_peer_down_then_back_every_queued_message_arrives(string peerService, string service, string address)
    {
        await using var peer = await FakeAws.StartAsync(peerService, port: LoadRun.RestartablePort());
        await using var gateway = await StartGatewayAsync("440101234567" + address[^3..], address,
            Queued($$"""{ "provider": "aws", "service": "{{service}}", "resourceUrl": "{{peer.Url}}/qout" }""", "aws-1"), LoadRun.AwsCredentials);
        await peer.StopAsync();

        var device = await SendWhileDownAsync(address, gateway.UnifiedPort, service[..1]);
        Assert.Empty(peer.Accepted);
        await peer.RestartAsync();

        await AssertAllArrivedAsync(device, () => Task.FromResult<List<(string, string)>>([.. peer.Accepted.Select(static r => LoadRun.Envelope(r.Data))]));
        Assert.All(peer.Checks, Assert.Null);
        Assert.All(peer.Accepted, static r => Assert.Equal("qout", r.Name));
    }

    [Fact]
    public async Task Webhook_listener_closed_then_back_every_queued_message_arrives()
    {
        var hook = await TestWebhook.StartAsync(LoadRun.RestartablePort());
        var port = hook.Port;
        try
        {
            await using var gateway = await StartGatewayAsync("440101234567187", "127.0.0.187",
                Queued($$"""{ "provider": "webhook", "service": "webhook", "resourceUrl": "{{hook.Url()}}" }"""));
            await hook.DisposeAsync();

            var device = await SendWhileDownAsync("127.0.0.187", gateway.UnifiedPort, "w");
            hook = await TestWebhook.StartAsync(port);

            await AssertAllArrivedAsync(device, () => Task.FromResult<List<(string, string)>>(
                [.. hook.Requests.Select(static r => (r.Headers["x-message-id"], LoadRun.Payload(r.Body)))]));
            Assert.All(hook.Requests, static r => Assert.Equal(r.Headers["x-message-id"], (string)JsonNode.Parse(r.Body)!["messageId"]!));
        }
        finally
        {
            await hook.DisposeAsync();
        }
    }

    [Fact]
    public async Task Beam_upstream_down_the_device_gets_the_error_and_then_the_reply_once_it_is_back()
    {
        var hook = await TestWebhook.StartAsync(LoadRun.RestartablePort());
        var port = hook.Port;
        try
        {
            await using var gateway = await StartGatewayAsync("440101234567188", "127.0.0.188",
                $$""" "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "{{hook.Url("/beam")}}", "enabled": true } } """);
            await hook.DisposeAsync();

            var down = new UdpDevice("127.0.0.188", gateway.UnifiedPort, "down");
            await down.RunAsync(3, Ct);
            Assert.Empty(down.Acknowledged);
            Assert.Equal(3, down.Refusals["502 upstream refused the connection"]);

            hook = await TestWebhook.StartAsync(port);
            var up = new UdpDevice("127.0.0.188", gateway.UnifiedPort, "up");
            await up.RunAsync(3, Ct);
            Assert.Equal(3, up.Acknowledged.Count);
            Assert.Equal(up.Acknowledged.Order(), hook.Requests.Select(static r => Encoding.UTF8.GetString(Convert.FromBase64String((string)JsonNode.Parse(r.Body)!["payload"]!))).Order());
        }
        finally
        {
            await hook.DisposeAsync();
        }
    }
}
