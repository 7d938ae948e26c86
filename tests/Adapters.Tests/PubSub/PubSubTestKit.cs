using System.Text.Json.Nodes;
using Gateway.Adapters.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>Destinations, adapters and messages for the Pub/Sub tests.</summary>
internal static class PubSubTestKit
{
    public const string Imsi = "001010000000001";

    /// <summary>A factory that sees no <c>PUBSUB_EMULATOR_HOST</c>, whatever the test machine's environment holds.</summary>
    public static readonly PubSubAdapterFactory Factory = new(_ => null);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Both transports, for tests that must hold for each.</summary>
    public static TheoryData<string> Transports => new() { "grpc", "rest" };

    /// <summary>The destination keys naming <paramref name="endpoint"/> and <paramref name="transport"/>, after the resource URL.</summary>
    public static string At(string endpoint, string transport, string more = "") =>
        $$""","endpoint":"{{endpoint}}","transport":"{{transport}}"{{more}}""";

    public static FunnelDestination Destination(string resourceUrl, string extra = "")
    {
        var json = JsonNode.Parse($$"""{"provider":"google","service":"pubsub","resourceUrl":"{{resourceUrl}}"{{extra}}}""")!.AsObject();
        return new FunnelDestination { Provider = "google", Service = "pubsub", ResourceUrl = resourceUrl, Settings = json };
    }

    public static List<string> Validate(string resourceUrl, string extra = "")
    {
        var errors = new List<string>();
        Factory.Validate(Destination(resourceUrl, extra), "groups.g1.SoracomFunnel.destination", errors);
        return errors;
    }

    public static IFunnelAdapter Adapter(string resourceUrl, string extra = "", AdapterCredentials? credentials = null,
        PubSubAdapterFactory? factory = null, HttpMessageInvoker? http = null, ILoggerFactory? logs = null) =>
        (factory ?? Factory).Create(Destination(resourceUrl, extra), credentials, new AdapterContext
        {
            LoggerFactory = logs ?? NullLoggerFactory.Instance,
            Http = http ?? new HttpMessageInvoker(new SocketsHttpHandler()),
        });

    public static OutgoingMessage Message(string body, string? imsi = Imsi, string? target = null) => new()
    {
        Body = System.Text.Encoding.UTF8.GetBytes(body),
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

    /// <summary>A unique, legal topic ID for one test.</summary>
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
}
