using Gateway.Adapters;
using Gateway.Adapters.AwsIot;
using Gateway.Adapters.EventHubs;
using Gateway.Adapters.Firehose;
using Gateway.Adapters.Kafka;
using Gateway.Adapters.Kinesis;
using Gateway.Adapters.PubSub;
using Gateway.Adapters.Webhook;

namespace Gateway.Funnel;

/// <summary>
/// The Funnel destinations this build can deliver to, one factory per <c>provider</c>/<c>service</c>. A plain static
/// list rather than a container registration: the registry parser is static and runs where no container exists
/// (the seed file check of <c>gateway parse</c>, the admin API's validation, tests), and factories hold no state.
/// A new adapter adds its factory here (one line); <see cref="FunnelServiceCollectionExtensions.AddFunnel"/>
/// registers the same instances for delivery.
/// </summary>
internal static class FunnelAdapters
{
    public static IReadOnlyList<IFunnelAdapterFactory> Known { get; } =
    [
        new WebhookAdapterFactory(),
        new KafkaAdapterFactory(),
        new KinesisAdapterFactory(),
        new FirehoseAdapterFactory(),
        new AwsIotAdapterFactory(),
        new EventHubsAdapterFactory(),
        new PubSubAdapterFactory(),
    ];

    /// <summary>
    /// Destinations SORACOM defines for which this build has no adapter yet. A configuration naming one loads (so a
    /// group exported from SORACOM loads unchanged) but Funnel does not take its devices' messages.
    /// </summary>
    public static IReadOnlyList<string> SoracomOnly { get; } =
    [
    ];

    public static IFunnelAdapterFactory? Find(IEnumerable<IFunnelAdapterFactory> factories, string provider, string service)
    {
        foreach (var f in factories)
        {
            if (f.Provider == provider && f.Service == service)
            {
                return f;
            }
        }

        return null;
    }

    public static string KnownList(IEnumerable<IFunnelAdapterFactory> factories) =>
        string.Join(", ", factories.Select(static f => $"{f.Provider}/{f.Service}").Order(StringComparer.Ordinal));
}
