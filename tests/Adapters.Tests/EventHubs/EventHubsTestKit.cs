using System.Text;
using System.Text.Json.Nodes;
using EventHubsPeer;
using Gateway.Adapters.EventHubs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Adapters.Tests.EventHubs;

/// <summary>Destinations, adapters, peers and messages for the Event Hubs tests.</summary>
internal static class EventHubsTestKit
{
    public const string Policy = "gateway-send";

    /// <summary>A key shaped like Azure's (44 Base64 characters), made up for the tests.</summary>
    public const string Key = "dGVzdC1rZXktbm90LWEtcmVhbC1zZWNyZXQtMDEyMzQ=";

    public static readonly EventHubsAdapterFactory Factory = new();

    public static LocalEventHubs Peer(params string[] hubs)
    {
        var peer = new LocalEventHubs { KeyName = Policy, Key = Key, Hubs = new HashSet<string>(hubs, StringComparer.OrdinalIgnoreCase) };
        peer.Start();
        return peer;
    }

    public static FunnelDestination Destination(string resourceUrl, string extra = "")
    {
        var json = JsonNode.Parse($$"""{"provider":"azure","service":"eventhubs","resourceUrl":"{{resourceUrl}}"{{extra}}}""")!.AsObject();
        return new FunnelDestination { Provider = "azure", Service = "eventhubs", ResourceUrl = resourceUrl, Settings = json };
    }

    public static List<string> Validate(string resourceUrl, string extra = "")
    {
        var errors = new List<string>();
        Factory.Validate(Destination(resourceUrl, extra), "groups.g1.SoracomFunnel.destination", errors);
        return errors;
    }

    public static AdapterCredentials Credentials(string policy = Policy, string key = Key) => new()
    {
        CredentialsId = "eh-creds",
        Type = "azure-credentials",
        Values = new JsonObject { ["policyName"] = policy, ["key"] = key },
    };

    public static IFunnelAdapter Adapter(string resourceUrl, string extra = "", AdapterCredentials? credentials = null, ILoggerFactory? logs = null) =>
        Factory.Create(Destination(resourceUrl, extra), credentials ?? Credentials(), new AdapterContext
        {
            LoggerFactory = logs ?? NullLoggerFactory.Instance,
            Http = new HttpMessageInvoker(new SocketsHttpHandler()),
        });

    public static OutgoingMessage Message(string body, string? imsi = "001010000000001", string? target = null) => new()
    {
        Body = Encoding.UTF8.GetBytes(body),
        Key = imsi,
        Target = target,
        MessageId = Guid.NewGuid().ToString(),
        TimestampMs = 1_700_000_000_000,
        Attributes = imsi is null ? [] : [new("imsi", imsi), new("imei", "353000000000001"), new("simId", "8981100000000000001")],
    };

    public static async Task<DeliveryResult[]> SendAsync(IFunnelAdapter adapter, IReadOnlyList<OutgoingMessage> batch, TimeSpan deadline)
    {
        var results = new DeliveryResult[batch.Count];
        using var cts = new CancellationTokenSource(deadline);
        // The outer bound catches a hang: SendAsync must return soon after its token fires.
        await adapter.SendAsync(batch, results, cts.Token).WaitAsync(deadline + TimeSpan.FromSeconds(30));
        return results;
    }
}
