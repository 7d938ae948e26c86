using System.Text.Json.Nodes;
using Gateway.Adapters.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>Destinations, adapters and messages for the Kafka tests.</summary>
internal static class KafkaTestKit
{
    public static readonly KafkaAdapterFactory Factory = new();

    public static FunnelDestination Destination(string resourceUrl, string extra = "")
    {
        var json = JsonNode.Parse($$"""{"provider":"kafka","service":"kafka","resourceUrl":"{{resourceUrl}}"{{extra}}}""")!.AsObject();
        return new FunnelDestination
        {
            Provider = "kafka",
            Service = "kafka",
            ResourceUrl = resourceUrl,
            Settings = json,
        };
    }

    public static List<string> Validate(string resourceUrl, string extra = "")
    {
        var errors = new List<string>();
        Factory.Validate(Destination(resourceUrl, extra), "groups.g1.SoracomFunnel.destination", errors);
        return errors;
    }

    public static IFunnelAdapter Adapter(string resourceUrl, string extra = "", AdapterCredentials? credentials = null) =>
        Factory.Create(Destination(resourceUrl, extra), credentials, new AdapterContext
        {
            LoggerFactory = NullLoggerFactory.Instance,
            Http = new HttpMessageInvoker(new SocketsHttpHandler()),
        });

    public static OutgoingMessage Message(string body, string? imsi = "001010000000001", string? target = null) => new()
    {
        Body = System.Text.Encoding.UTF8.GetBytes(body),
        Key = imsi,
        Target = target,
        MessageId = Guid.NewGuid().ToString(),
        TimestampMs = 1_700_000_000_000,
        Attributes = imsi is null ? [] : [new("imsi", imsi), new("imei", "353000000000001")],
    };

    public static async Task<DeliveryResult[]> SendAsync(IFunnelAdapter adapter, IReadOnlyList<OutgoingMessage> batch, TimeSpan deadline)
    {
        var results = new DeliveryResult[batch.Count];
        using var cts = new CancellationTokenSource(deadline);
        // The outer bound catches a hang: SendAsync must return soon after its token fires.
        await adapter.SendAsync(batch, results, cts.Token).WaitAsync(deadline + TimeSpan.FromSeconds(60));
        return results;
    }
}
