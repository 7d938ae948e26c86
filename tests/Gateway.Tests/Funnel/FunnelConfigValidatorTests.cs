using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Funnel;

/// <summary>SoracomFunnel validation through the registry parser: every problem named by its path.</summary>
public sealed class FunnelConfigValidatorTests
{
    private const string P = "groups[g-funnel].configuration.SoracomFunnel";

    // The adapters this build has (webhook/webhook, and kafka/kafka once merged), as the messages list them.
    private static readonly string Known = Gateway.Funnel.FunnelAdapters.KnownList(Gateway.Funnel.FunnelAdapters.Known);

    public static TheoryData<string, string> Bad => new()
    {
        { """{ "destination": { "provider": "x", "service": "y", "resourceUrl": "https://a.example" } }""", $"{P}.destination.provider: 'x' is not a known destination; known: {Known}" },
        { """{ "destination": { "provider": "webhook", "service": "hook", "resourceUrl": "https://a.example" } }""", $"{P}.destination.service: 'hook' is not a known service of provider 'webhook'; known: {Known}" },
        { """{ "destination": { "service": "webhook", "resourceUrl": "https://a.example" } }""", $"{P}.destination.provider: required" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "ftp://a.example/x" } }""", $"{P}.destination.resourceUrl: not an http:// or https:// URL" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://me:pw@a.example/x" } }""", $"{P}.destination.resourceUrl: may not contain user information (user:password@); use a credential set" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example/#{imei}" } }""", $"{P}.destination.resourceUrl: the only placeholder is #{{imsi}}" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example", "topic": "t" } }""", $"{P}.destination.topic: unknown key for webhook/webhook; known: provider, service, resourceUrl, payloadsOnly, timeoutSeconds, maxBodyBytes, messageSignatureKeyId" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example", "timeoutSeconds": 0 } }""", $"{P}.destination.timeoutSeconds: a number of seconds above 0, at most 300" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example", "payloadsOnly": "no" } }""", $"{P}.destination.payloadsOnly: must be true or false" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example" }, "credentialsId": "my-aws" }""", $"{P}.credentialsId: credential set 'my-aws' is of type aws-credentials; webhook/webhook takes psk" },
        { """{ "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example" }, "credentialsId": "nope" }""", $"{P}.credentialsId: no credential set 'nope'" },
        { """{ "credentialsId": "hook-#{imei}" }""", $"{P}.credentialsId: the only placeholder is #{{imsi}}" },
        { """{ "destination": "https://a.example" }""", $"{P}.destination: must be an object {{provider, service, resourceUrl}}" },
        { """{ "contentType": "xml" }""", $"{P}.contentType: 'xml' is not one of json, text, binary, unspecified, application/x-soracom-bf-v1" },
        { """{ "enabled": "yes" }""", $"{P}.enabled: must be true or false" },
        { """{ "addSimID": true }""", $"{P}.addSimID: unknown key; known: enabled, destination, credentialsId, contentType, addSimId, delivery" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Each_problem_is_reported_with_its_path(string funnel, string expected)
    {
        var errors = Parse(funnel);

        Assert.Contains(expected, errors);
    }

    [Theory]
    [InlineData("""{ "enabled": true, "contentType": "" }""")]
    [InlineData("""{ "enabled": true, "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "https://a.example/#{imsi}", "payloadsOnly": true, "timeoutSeconds": 2.5, "maxBodyBytes": 1000, "messageSignatureKeyId": "k1" }, "credentialsId": "hook-psk", "contentType": "application/x-soracom-bf-v1", "addSimId": true }""")]
    [InlineData("""{ "enabled": true, "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "http://127.0.0.1:8080/in" }, "credentialsId": "psk-#{imsi}" }""")]
    [InlineData("""{ "enabled": true, "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "https://kinesis.ap-northeast-1.amazonaws.com/s", "randomizePartitionKey": true }, "credentialsId": "my-aws" }""")]
    public void Valid_configurations_load(string funnel) => Assert.Empty(Parse(funnel));

    private static List<string> Parse(string funnel)
    {
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(FunnelRegistry.Seed(funnel)), errors);
        return errors;
    }
}
