using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Gateway.Adapters.Tests.Kafka;
using Gateway.Tests.Admin;
using Gateway.Tests.Funnel;

namespace Gateway.Tests.Devices;

/// <summary>
/// The real gateway with real Funnel destinations on loopback: librdkafka's mock cluster as a process of its own
/// (read back with a Confluent consumer), a webhook that verifies SORACOM signatures, and a second webhook that
/// fails on demand. One device per group, each recognised by its 127.0.0.17N source address.
/// </summary>
public sealed class FunnelPeersFixture : IAsyncLifetime
{
    public const string KafkaDevice = "127.0.0.171";
    public const string JsonDevice = "127.0.0.172";
    public const string HookDevice = "127.0.0.173";
    public const string BeamAutoDevice = "127.0.0.174";
    public const string BeamUnifiedDevice = "127.0.0.175";
    public const string FailingHookDevice = "127.0.0.176";
    public const string Unknown = "127.0.0.179";

    public const string KafkaImsi = "440109999000171";
    public const string KafkaImei = "353000000000171";
    /// <summary>The device at 127.0.0.1, for clients that cannot choose their source address (MQTTnet over WebSocket).</summary>
    public const string WebSocketImsi = "440109999000170";
    public const string HookImsi = "440109999000173";
    public const string FailingHookImsi = "440109999000176";
    public const string Topic = "e2e";
    public const string JsonTopic = "e2e-json";

    internal MockKafka Kafka { get; private set; } = null!;

    internal TestWebhook Hook { get; private set; } = null!;

    internal TestWebhook FailingHook { get; private set; } = null!;

    internal GatewayProcess Gateway { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Kafka = await MockKafka.StartAsync();
        Hook = await TestWebhook.StartAsync();
        FailingHook = await TestWebhook.StartAsync();
        var seed = Path.Combine(Gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, Seed());

        // A short delivery deadline, so that a destination that stays down fails the message within the test.
        await Gateway.StartAsync("--registry", seed, "--Gateway:Funnel:DeliveryTimeoutSeconds", "8");
    }

    private string Seed()
    {
        var kafka = $"kafka://{Kafka.Bootstrap}/";
        var down = $"http://127.0.0.1:{GatewayProcess.ClosedPort().ToString(CultureInfo.InvariantCulture)}/hook";
        const string beam = """ "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:9/beam", "enabled": true } }, """;
        return $$"""
            {
              "credentials": [ { "credentialsId": "{{FunnelRegistry.CredentialsId}}", "type": "psk", "credentials": { "key": "{{FunnelRegistry.Psk}}" } } ],
              "groups": [
                { "groupId": "e2e-kafka", "configuration": { "SoracomFunnel": { "enabled": true, "destination": { "provider": "kafka", "service": "kafka", "resourceUrl": "{{kafka}}{{Topic}}", "lingerMs": 1 }, "contentType": "unspecified" } } },
                { "groupId": "e2e-json", "configuration": { "SoracomFunnel": { "enabled": true, "destination": { "provider": "kafka", "service": "kafka", "resourceUrl": "{{kafka}}{{JsonTopic}}" }, "contentType": "json" } } },
                { "groupId": "e2e-hook", "configuration": { "SoracomFunnel": {{FunnelRegistry.Funnel(Hook.Url(), "unspecified", addSimId: true)}} } },
                { "groupId": "e2e-beam-auto", "configuration": { {{beam}} "SoracomFunnel": {{FunnelRegistry.Funnel(down)}} } },
                { "groupId": "e2e-beam-unified", "configuration": { {{beam}} "SoracomFunnel": {{FunnelRegistry.Funnel(down)}},
                  "UnifiedEndpoint": { "response": { "format": "Unified" } } } },
                { "groupId": "e2e-failing-hook", "configuration": { "SoracomFunnel": {{FunnelRegistry.Funnel(FailingHook.Url(), "text")}} } }
              ],
              "subscribers": [
                { "imsi": "{{WebSocketImsi}}", "groupId": "e2e-kafka", "ipAddress": "127.0.0.1" },
                { "imsi": "{{KafkaImsi}}", "imei": "{{KafkaImei}}", "groupId": "e2e-kafka", "ipAddress": "{{KafkaDevice}}" },
                { "imsi": "440109999000172", "groupId": "e2e-json", "ipAddress": "{{JsonDevice}}" },
                { "imsi": "{{HookImsi}}", "simId": "8981100000000000173", "groupId": "e2e-hook", "ipAddress": "{{HookDevice}}" },
                { "imsi": "440109999000174", "groupId": "e2e-beam-auto", "ipAddress": "{{BeamAutoDevice}}" },
                { "imsi": "440109999000175", "groupId": "e2e-beam-unified", "ipAddress": "{{BeamUnifiedDevice}}" },
                { "imsi": "{{FailingHookImsi}}", "groupId": "e2e-failing-hook", "ipAddress": "{{FailingHookDevice}}" }
              ]
            }
            """;
    }

    /// <summary>The records of <paramref name="topic"/> whose value contains <paramref name="marker"/>, waiting up to a minute for <paramref name="atLeast"/>.</summary>
    internal List<ConsumeResult<string, byte[]>> Records(string topic, string marker, int atLeast = 1) =>
        [.. ReadUntil(topic, marker, atLeast).Where(r => Has(r, marker))];

    /// <summary>
    /// Every record of <paramref name="topic"/> read until <paramref name="atLeast"/> contain <paramref name="marker"/>.
    /// One device's records share a key, so a partition: all it produced before the marked one has been read too.
    /// </summary>
    internal List<ConsumeResult<string, byte[]>> ReadUntil(string topic, string marker, int atLeast = 1) =>
        KafkaReader.Read(Kafka.Bootstrap, topic, read => read.Count(r => Has(r, marker)) >= atLeast, TimeSpan.FromSeconds(60));

    internal static bool Has(ConsumeResult<string, byte[]> record, string text) =>
        Encoding.UTF8.GetString(record.Message.Value).Contains(text, StringComparison.Ordinal);

    /// <summary>
    /// The envelope the gateway must have produced for a message, given the two values only it knows (arrival time
    /// and message ID, taken from the record): compared byte for byte with what the destination received.
    /// </summary>
    internal static string Envelope(string destination, string sourceProtocol, string payloads, JsonObject received, string identity, string mqtt = "") =>
        $$"""{"operatorId":"OP0000000000","destination":{{destination}},"sourceProtocol":"{{sourceProtocol}}","payloads":{{payloads}},"timestamp":{{(long)received["timestamp"]!}},{{identity}},"messageId":"{{(string)received["messageId"]!}}"{{mqtt}}}""";

    internal string KafkaDestination => $$"""{"provider":"kafka","service":"kafka","resourceUrl":"kafka://{{Kafka.Bootstrap}}/{{Topic}}","lingerMs":1}""";

    internal const string KafkaIdentity = $$"""
        "imsi":"{{KafkaImsi}}","imei":"{{KafkaImei}}"
        """;

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Hook.DisposeAsync();
        await FailingHook.DisposeAsync();
        await Kafka.DisposeAsync();
    }
}
