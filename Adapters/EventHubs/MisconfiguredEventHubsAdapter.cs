namespace Gateway.Adapters.EventHubs;

/// <summary>
/// Stands in for an Event Hubs destination whose settings or credential set cannot work (no credential set, an empty
/// key): every message is refused with the reason, so the error log shows it.
/// </summary>
internal sealed class MisconfiguredEventHubsAdapter(DeliveryResult refusal) : IFunnelAdapter
{
    public int MaxBatchSize => EventHubsAdapter.BatchLimit;

    public int MaxMessageBytes => EventHubsAdapter.MaxBodyBytes;

    public Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        Array.Fill(results, refusal, 0, batch.Count);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
