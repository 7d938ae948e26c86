using System.Text;
using System.Text.Json.Nodes;
using EventHubsPeer;
using Gateway.Funnel;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel to Azure Event Hubs end to end: a UDP device, the gateway as it runs, and a local AMQP 1.0 peer that checks
/// the shared access signature and records the event; and a group exported from SORACOM with an azure-credentials set.
/// </summary>
public sealed class FunnelEventHubsTests : IAsyncLifetime
{
    private const string Device = "127.0.0.157";
    private const string Imsi = "440101234567157";
    private const string Imei = "353000000000157";
    private const string Policy = "gateway-send";
    private const string Key = "ZTJlLXRlc3Qta2V5LW5vdC1hLXJlYWwtc2VjcmV0LTA=";
    private const string WrongKey = "d3Jvbmcta2V5LWZvci10aGUtZTJlLXRlc3QtMDEyMzQ=";

    private readonly GatewayProcess _gateway = new();
    private readonly LocalEventHubs _peer = new() { KeyName = Policy, Key = Key, Hubs = new HashSet<string>(["gw-hub"]) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ResourceUrl => $"amqp://127.0.0.1:{_peer.Port}/gw-hub";

    public async ValueTask InitializeAsync()
    {
        _peer.Start();
        var seed = $$"""
            {
              "credentials": [
                { "credentialsId": "my-eh", "type": "azure-credentials", "credentials": { "policyName": "{{Policy}}", "key": "{{Key}}" } },
                { "credentialsId": "bad-eh", "type": "azure-credentials", "credentials": { "policyName": "{{Policy}}", "key": "{{WrongKey}}" } }
              ],
              "groups": [
                { "groupId": "g-eh", "configuration": { "SoracomFunnel": { "enabled": true,
                  "destination": { "provider": "azure", "service": "eventhubs", "resourceUrl": "{{ResourceUrl}}" },
                  "credentialsId": "my-eh", "contentType": "text" } } },
                { "groupId": "g-eh-po", "configuration": { "SoracomFunnel": { "enabled": true,
                  "destination": { "provider": "azure", "service": "eventhubs", "resourceUrl": "{{ResourceUrl}}", "payloadsOnly": true, "partitionKey": false },
                  "credentialsId": "my-eh", "contentType": "json" } } },
                { "groupId": "g-eh-bad", "configuration": { "SoracomFunnel": { "enabled": true,
                  "destination": { "provider": "azure", "service": "eventhubs", "resourceUrl": "{{ResourceUrl}}" },
                  "credentialsId": "bad-eh", "contentType": "text" } } }
              ],
              "subscribers": [
                { "imsi": "{{Imsi}}", "imei": "{{Imei}}", "groupId": "g-eh", "ipAddress": "{{Device}}" },
                { "imsi": "440101234567158", "groupId": "g-eh-bad", "ipAddress": "127.0.0.158" },
                { "imsi": "440101234567156", "groupId": "g-eh-po", "ipAddress": "127.0.0.156" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await _gateway.StartAsync("--registry", path, "--Gateway:Funnel:OperatorId", "OP0012345678", "--Gateway:Funnel:DeliveryTimeoutSeconds", "5");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _peer.Dispose();
    }

    private async Task<string> SendUdpAsync(string payload, string from) => Encoding.UTF8.GetString(await Socat.RunAsync(
        Encoding.UTF8.GetBytes(payload), $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={from}", waitSeconds: 10));

    [Fact]
    public async Task A_udp_datagram_arrives_as_the_exact_envelope_keyed_by_imsi_with_identity_properties()
    {
        var reply = await SendUdpAsync("hello eventhubs", Device);

        Assert.Equal("200", reply);
        var received = Assert.Single(_peer.Events);
        var envelope = JsonNode.Parse(received.Body)!;
        var timestamp = (long)envelope["timestamp"]!;
        var messageId = (string)envelope["messageId"]!;
        var expected = "{\"credentialsId\":\"my-eh\",\"operatorId\":\"OP0012345678\",\"destination\":{\"provider\":\"azure\",\"service\":\"eventhubs\",\"resourceUrl\":\""
            + ResourceUrl + "\"},\"sourceProtocol\":\"udp\",\"payloads\":\"hello eventhubs\",\"timestamp\":" + timestamp
            + ",\"imsi\":\"" + Imsi + "\",\"imei\":\"" + Imei + "\",\"messageId\":\"" + messageId + "\"}";
        Assert.Equal(expected, Encoding.UTF8.GetString(received.Body));
        Assert.Equal("gw-hub", received.Hub);
        Assert.Equal(Imsi, received.PartitionKey);
        Assert.Equal(messageId, received.MessageId);
        Assert.Equal("application/json", received.ContentType);
        Assert.Equal(Imsi, received.Properties["imsi"]);
        Assert.Equal(Imei, received.Properties["imei"]);
        Assert.Equal(0, _peer.TokensRefused);
    }

    [Fact]
    public async Task PayloadsOnly_delivers_just_the_payloads_without_a_partition_key_when_asked()
    {
        var reply = await SendUdpAsync("{\"temp\": 21.5, \"ok\": true}", "127.0.0.156");

        Assert.Equal("200", reply);
        var received = Assert.Single(_peer.Events);
        Assert.Equal("{\"temp\":21.5,\"ok\":true}", Encoding.UTF8.GetString(received.Body));
        Assert.Null(received.PartitionKey);
        Assert.Equal("440101234567156", received.Properties["imsi"]);
    }

    [Fact]
    public async Task A_bad_key_answers_the_device_401_without_the_key()
    {
        var reply = await SendUdpAsync("nope", "127.0.0.158");

        Assert.StartsWith("401 ", reply, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, reply, StringComparison.Ordinal);
        Assert.Empty(_peer.Events);
        Assert.True(_peer.TokensRefused >= 1);
    }
}

/// <summary>A group as SORACOM's API exports it (key/value lists) with an azure-credentials set loads unchanged and is served.</summary>
public sealed class FunnelEventHubsExportTests
{
    private const string Export = """
        {
          "credentials": [
            { "credentialsId": "azure-eh", "type": "azure-credentials", "description": "Event Hubs send policy",
              "credentials": { "policyName": "RootManageSharedAccessKey", "key": "c29yYWNvbS1leHBvcnQtdGVzdC1rZXktMDEyMzQ1Njc=" },
              "createDateTime": 1653891795, "updateDateTime": 1653891795 }
          ],
          "groups": [ { "groupId": "g-export", "tags": { "name": "eh-fleet" }, "configuration": {
            "SoracomFunnel": [
              { "key": "enabled", "value": true },
              { "key": "destination", "value": { "provider": "azure", "service": "eventhubs", "resourceUrl": "https://my-ns.servicebus.windows.net/my-hub/messages" } },
              { "key": "credentialsId", "value": "azure-eh" },
              { "key": "contentType", "value": "json" },
              { "key": "addSimId", "value": true }
            ] } } ],
          "subscribers": [ { "imsi": "440101234567159", "groupId": "g-export", "ipAddress": "127.0.0.159" } ]
        }
        """;

    [Fact]
    public void Loads_without_errors_and_funnel_has_an_adapter_for_it()
    {
        var errors = new List<string>();
        var document = RegistryParser.Parse(JsonNode.Parse(Export), errors);

        Assert.Empty(errors);
        var funnel = document!.Groups[0].Configuration["SoracomFunnel"]!;
        Assert.Equal("https://my-ns.servicebus.windows.net/my-hub/messages", (string?)funnel["destination"]!["resourceUrl"]);
        Assert.Equal("azure-eh", (string?)funnel["credentialsId"]);
        Assert.NotNull(FunnelAdapters.Find(FunnelAdapters.Known, "azure", "eventhubs"));
        Assert.DoesNotContain("azure/eventhubs", FunnelAdapters.SoracomOnly);
    }

    [Fact]
    public void A_wrong_credential_type_or_a_bad_url_is_refused_with_its_path()
    {
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(Export
            .Replace("\"type\": \"azure-credentials\"", "\"type\": \"psk\"", StringComparison.Ordinal)
            .Replace("\"policyName\": \"RootManageSharedAccessKey\", ", "", StringComparison.Ordinal)
            .Replace("https://my-ns.servicebus.windows.net/my-hub/messages", "https://my-ns.servicebus.windows.net/-hub", StringComparison.Ordinal)), errors);

        Assert.Contains(errors, e => e.Contains("SoracomFunnel.credentialsId: credential set 'azure-eh' is of type psk; azure/eventhubs takes azure-credentials", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SoracomFunnel.destination.resourceUrl: hub '-hub' must start and end with a letter or digit", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("c29yYWNvbS1leHBvcnQ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_azure_credentials_set_without_its_key_is_refused_and_not_echoed()
    {
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(Export.Replace("\"key\": \"c29yYWNvbS1leHBvcnQtdGVzdC1rZXktMDEyMzQ1Njc=\"", "\"secret\": \"hunter2\"", StringComparison.Ordinal)), errors);

        Assert.NotEmpty(errors);
        Assert.DoesNotContain(errors, e => e.Contains("hunter2", StringComparison.Ordinal));
    }
}
