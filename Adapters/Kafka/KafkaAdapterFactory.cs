using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// The Kafka destination, <c>{"provider": "kafka", "service": "kafka", "resourceUrl": "kafka://host:9092,host2:9092/topic"}</c>
/// with <c>#{imsi}</c> allowed in the topic; optional keys <c>tls</c>, <c>randomizePartitionKey</c>, <c>compression</c>,
/// <c>lingerMs</c>, <c>deliveryTimeoutMs</c>; an optional <c>kafka-credentials</c> set for SASL and a private CA.
/// See <c>Adapters/Kafka/README.md</c>.
/// </summary>
public sealed class KafkaAdapterFactory : IFunnelAdapterFactory
{
    /// <inheritdoc/>
    public string Provider => "kafka";

    /// <inheritdoc/>
    public string Service => "kafka";

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes { get; } = [KafkaProducerConfig.CredentialType];

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        KafkaSettings.Parse(destination, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        KafkaNativeLibrary.Pin();
        var logger = context.LoggerFactory.CreateLogger<KafkaAdapterFactory>();
        var errors = new List<string>();
        var settings = KafkaSettings.Parse(destination, "destination", errors);
        if (settings is null)
            return Misconfigured(logger, "(invalid resourceUrl)", 400, string.Join("; ", errors));
        var timeout = KafkaMessageTimeout.For(settings, context.DeliveryDeadline, out var clamped);
        if (clamped)
            KafkaLog.TimeoutClamped(logger, destination.ResourceUrl, settings.DeliveryTimeoutMs!.Value, context.DeliveryDeadline!.Value.TotalSeconds, timeout);
        var config = KafkaProducerConfig.Build(settings, credentials, timeout, out var problem);
        if (config is null)
            return Misconfigured(logger, destination.ResourceUrl, 401, problem!);
        return new KafkaAdapter(settings, config, destination.ResourceUrl, context);
    }

    private static MisconfiguredAdapter Misconfigured(ILogger logger, string name, int status, string problem)
    {
        KafkaLog.Misconfigured(logger, name, problem);
        return new MisconfiguredAdapter(DeliveryResult.Permanent(status, "kafka: " + problem), 500, KafkaProducerConfig.MaxBodyBytes);
    }
}
