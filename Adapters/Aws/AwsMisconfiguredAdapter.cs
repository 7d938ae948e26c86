namespace Gateway.Adapters.Aws;

/// <summary>
/// Stands in for an AWS destination whose settings or credential set cannot work (a check the registry could not make,
/// such as a role ARN's shape): every message is refused with the reason, so the error log shows it.
/// </summary>
internal sealed class AwsMisconfiguredAdapter(DeliveryResult refusal, int maxBatchSize, int maxMessageBytes) : IFunnelAdapter
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
