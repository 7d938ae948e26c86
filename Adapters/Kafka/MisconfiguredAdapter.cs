namespace Gateway.Adapters.Kafka;

/// <summary>
/// Stands in for a Kafka destination whose settings or credential set cannot work (a check the registry could not make,
/// such as a field of the credential set): every message is refused with the reason, so the error log shows it.
/// </summary>
internal sealed class MisconfiguredAdapter(DeliveryResult refusal) : IFunnelAdapter
{
    public int MaxBatchSize => 500;

    public int MaxMessageBytes => KafkaProducerConfig.MaxBodyBytes;

    public Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        Array.Fill(results, refusal, 0, batch.Count);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
