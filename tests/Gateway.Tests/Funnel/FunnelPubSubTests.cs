using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Adapters.Tests.PubSub;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel to Google Pub/Sub through the gateway: a SORACOM-exported group with its <c>google-service-account-json</c>
/// set loads unchanged, a key file that cannot work is refused at load without echoing it, and a UDP device's message
/// reaches the real emulator as the exact envelope with the identity as attributes.
/// </summary>
public sealed partial class FunnelPubSubTests
{
    private const string Imsi = "440101234567156";
    private const string Imei = "353000000000156";
    private const string SimId = "8981100024620429156";
    private const string Device = "127.0.0.156";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A key file made now (nothing secret is committed), as SORACOM stores it: the file's JSON as a string.</summary>
    internal static (string KeyFile, string KeyMaterial) NewKeyFile()
    {
        using var rsa = RSA.Create(2048);
        var file = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "my-project",
            ["private_key_id"] = "abcdef0123456789",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = "soracom-funnel@my-project.iam.gserviceaccount.com",
            ["client_id"] = "100000000000000000002",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        }.ToJsonString();
        return (file, Convert.ToBase64String(rsa.ExportPkcs8PrivateKey())[..40]);
    }

    private const string MissingDevice = "127.0.0.157";
    private const string MissingImsi = "440101234567157";

    private static string Seed(string keyFile, string destination, string device = Device, string moreGroups = "", string moreSubscribers = "") => $$"""
        {
          "credentials": [
            { "credentialsId": "gcp-funnel", "type": "google-service-account-json", "description": "exported from SORACOM",
              "credentials": { "credentials": {{JsonValue.Create(keyFile).ToJsonString()}} } }
          ],
          "groups": [ { "groupId": "g-pubsub", "configuration": { "SoracomFunnel": {
            "enabled": true, "destination": {{destination}}, "credentialsId": "gcp-funnel", "contentType": "json", "addSimId": true } } } {{moreGroups}} ],
          "subscribers": [ { "imsi": "{{Imsi}}", "imei": "{{Imei}}", "simId": "{{SimId}}", "groupId": "g-pubsub", "ipAddress": "{{device}}" } {{moreSubscribers}} ]
        }
        """;

    [Fact]
    public void A_soracom_exported_group_with_its_service_account_loads_unchanged()
    {
        var (keyFile, _) = NewKeyFile();
        var errors = new List<string>();
        var document = RegistryParser.Parse(JsonNode.Parse(Seed(keyFile,
            """{ "provider": "google", "service": "pubsub", "resourceUrl": "projects/my-project/topics/soracom-funnel", "payloadsOnly": false }""")), errors);

        Assert.Empty(errors);
        Assert.NotNull(document);
        Assert.DoesNotContain("google/pubsub", Gateway.Funnel.FunnelAdapters.SoracomOnly);
    }

    [Fact]
    public void A_key_file_that_cannot_work_is_refused_at_load_without_its_value()
    {
        var (keyFile, material) = NewKeyFile();
        var broken = keyFile.Replace("\"client_email\"", "\"client_mail\"", StringComparison.Ordinal);
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(Seed(broken, """{ "provider": "google", "service": "pubsub", "resourceUrl": "projects/my-project/topics/t1x" }""")), errors);

        // The set is refused (and so the group naming it, and the subscriber in that group): the first error says why.
        Assert.Equal("credentials[gcp-funnel].credentials.credentials: has no client_email", errors[0]);
        Assert.All(errors, e => Assert.DoesNotContain(material, e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_udp_device_message_reaches_the_emulator_as_the_exact_envelope_with_identity_attributes()
    {
        await using var emulator = await PubSubEmulator.StartAsync();
        var topic = "projects/gw-test/topics/funnel-e2e";
        await emulator.CreateTopicAsync(topic);
        await emulator.CreateSubscriptionAsync("projects/gw-test/subscriptions/funnel-e2e-sub", topic);
        var (keyFile, material) = NewKeyFile();
        var destination = $$"""{ "provider": "google", "service": "pubsub", "resourceUrl": "{{topic}}", "endpoint": "{{emulator.Endpoint}}" }""";
        // A second group publishes to a topic that does not exist.
        var missing = $$"""
            ,{ "groupId": "g-missing", "configuration": { "SoracomFunnel": { "enabled": true, "credentialsId": "gcp-funnel", "contentType": "json",
              "destination": { "provider": "google", "service": "pubsub", "resourceUrl": "projects/gw-test/topics/no-such-topic", "endpoint": "{{emulator.Endpoint}}" } } } }
            """;
        var missingSubscriber = $$""",{ "imsi": "{{MissingImsi}}", "groupId": "g-missing", "ipAddress": "{{MissingDevice}}" }""";
        var logs = new LogLines();
        await using var gateway = new GatewayProcess { ConfigureServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        var seedPath = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seedPath, Seed(keyFile, destination, moreGroups: missing, moreSubscribers: missingSubscriber), Ct);
        await gateway.StartAsync("--registry", seedPath, "--Gateway:Funnel:DeliveryTimeoutSeconds", "10", "--Logging:LogLevel:Default", "Debug");

        var reply = Encoding.UTF8.GetString(await Socat.RunAsync("{\"temp\": 21.5}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind={Device}", waitSeconds: 15));

        Assert.Equal("200", reply);
        var pulled = Assert.Single(await emulator.PullAsync("projects/gw-test/subscriptions/funnel-e2e-sub", 1, TimeSpan.FromSeconds(30)));
        var envelope = Encoding.UTF8.GetString(pulled.Data);
        var timestamp = Timestamp().Match(envelope).Groups[1].Value;
        var messageId = pulled.Attributes["messageId"];
        Assert.Equal(
            $$"""{"credentialsId":"gcp-funnel","operatorId":"OP0000000000","destination":{"provider":"google","service":"pubsub","resourceUrl":"{{topic}}","endpoint":"{{emulator.Endpoint}}"},"sourceProtocol":"udp","payloads":{"temp":21.5},"timestamp":{{timestamp}},"imsi":"{{Imsi}}","imei":"{{Imei}}","simId":"{{SimId}}","messageId":"{{messageId}}"}""",
            envelope);
        Assert.Equal(
            new Dictionary<string, string> { ["imsi"] = Imsi, ["imei"] = Imei, ["simId"] = SimId, ["messageId"] = messageId, ["contentType"] = "application/json" }.OrderBy(a => a.Key),
            pulled.Attributes.OrderBy(a => a.Key));
        Assert.Null(pulled.OrderingKey);

        // A topic that does not exist: refused to the device with the reason, and in the error log.
        var refused = Encoding.UTF8.GetString(await Socat.RunAsync("{\"temp\": 1}"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind={MissingDevice}", waitSeconds: 15));
        Assert.Equal("404 google/pubsub: topic projects/gw-test/topics/no-such-topic not found", refused);
        using var admin = await gateway.LoginAsync();
        var errorLog = await admin.GetStringAsync(gateway.Url($"/v1/logs?resource_type=Subscriber&resource_id={MissingImsi}&service=Funnel"), Ct);
        Assert.Contains("topic projects/gw-test/topics/no-such-topic not found", errorLog, StringComparison.Ordinal);

        // The key file is in no log line (Debug and above) and no admin API answer.
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(material, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN PRIVATE KEY", logs.All, StringComparison.Ordinal);
        var credentials = await admin.GetStringAsync(gateway.Url("/v1/credentials"), Ct);
        Assert.Contains("gcp-funnel", credentials, StringComparison.Ordinal);
        Assert.DoesNotContain(material, credentials, StringComparison.Ordinal);
        Assert.DoesNotContain("private_key", credentials, StringComparison.Ordinal);
    }

    [GeneratedRegex("\"timestamp\":([0-9]{13}),")]
    private static partial Regex Timestamp();

    /// <summary>Every log line the gateway writes, with its exception, for the secrecy check.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public string All => string.Join("\n", Lines);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");

        public void Dispose() { }
    }
}
