using System.Net;
using System.Text.Json.Nodes;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Funnel;

/// <summary>
/// A registry with one Funnel group and one subscriber, as JSON (a seed file for a gateway process, for the
/// end-to-end UDP/TCP tests) and loaded (a resolver for in-process tests).
/// </summary>
internal static class FunnelRegistry
{
    public const string GroupId = "g-funnel";
    public const string Imsi = "440101234567890";
    public const string Imei = "353000000000001";
    public const string SimId = "8981100024620429680";
    public const string DeviceAddress = "127.0.0.21";
    public const string Psk = "funnel-psk-0123456789";
    public const string CredentialsId = "hook-psk";

    /// <summary>The <c>SoracomFunnel</c> namespace for a webhook destination.</summary>
    public static string Funnel(string resourceUrl, string contentType = "json", bool addSimId = false, string destinationExtra = "", string? credentialsId = CredentialsId, bool enabled = true) => $$"""
        {
          "enabled": {{(enabled ? "true" : "false")}},
          "destination": { "provider": "webhook", "service": "webhook", "resourceUrl": "{{resourceUrl}}"{{destinationExtra}} },
          {{(credentialsId is null ? "" : $"\"credentialsId\": \"{credentialsId}\",")}}
          "contentType": "{{contentType}}",
          "addSimId": {{(addSimId ? "true" : "false")}}
        }
        """;

    /// <summary>The whole registry: a psk credential set, the Funnel group, the subscriber at <see cref="DeviceAddress"/>.</summary>
    public static string Seed(string funnel, string imei = Imei, string moreGroups = "") => $$"""
        {
          "credentials": [
            { "credentialsId": "{{CredentialsId}}", "type": "psk", "credentials": { "key": "{{Psk}}" } },
            { "credentialsId": "my-aws", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "s3cr3t" } }
          ],
          "groups": [ { "groupId": "{{GroupId}}", "configuration": { "SoracomFunnel": {{funnel}} } } {{moreGroups}} ],
          "subscribers": [
            { "imsi": "{{Imsi}}", {{(imei.Length > 0 ? $"\"imei\": \"{imei}\"," : "")}} "simId": "{{SimId}}", "groupId": "{{GroupId}}", "ipAddress": "{{DeviceAddress}}" }
          ]
        }
        """;

    public static RegistrySnapshot Snapshot(string seed, long version = 1)
    {
        var errors = new List<string>();
        var document = RegistryParser.Parse(JsonNode.Parse(seed), errors);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        return new RegistrySnapshot(document!, version);
    }

    public static IdentityResolver Resolver(string seed)
    {
        var resolver = new IdentityResolver();
        resolver.Publish(Snapshot(seed));
        return resolver;
    }

    /// <summary>The subscriber as the entry points would resolve it (by its address).</summary>
    public static DeviceIdentity Device(IdentityResolver resolver)
    {
        var device = resolver.ResolveAddress(IPAddress.Parse(DeviceAddress));
        Assert.True(device.IsKnown);
        return device;
    }

    public static DeviceMessage Message(DeviceIdentity device, SourceProtocol protocol, string payload, long receivedAtMs = 1653891795421, string? contentType = null, string? json = null, string? topic = null, int? qos = null) => new()
    {
        Device = device,
        Protocol = protocol,
        EntryPoint = "test",
        Payload = System.Text.Encoding.UTF8.GetBytes(payload),
        Json = json is null ? null : (ReadOnlyMemory<byte>?)System.Text.Encoding.UTF8.GetBytes(json),
        ReceivedAtMs = receivedAtMs,
        ContentType = contentType,
        Topic = topic,
        Qos = qos,
    };
}
