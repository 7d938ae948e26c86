namespace Gateway.Adapters;

/// <summary>
/// Stands in for a destination whose settings or credential set cannot work (a check the registry could not make: a
/// field of a credential set, a role ARN's shape, the project of a bare Pub/Sub topic): every message is refused with
/// the reason, so the error log shows it. One for every adapter, each giving its own limits.
/// </summary>
internal sealed class MisconfiguredAdapter(DeliveryResult refusal, int maxBatchSize, int maxMessageBytes) : IFunnelAdapter
{
    public int MaxBatchSize => maxBatchSize;

    public int MaxMessageBytes => maxMessageBytes;

    public Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        Array.Fill(results, refusal, 0, batch.Count);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
