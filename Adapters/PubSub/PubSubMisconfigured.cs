namespace Gateway.Adapters.PubSub;

/// <summary>
/// Stands in for a Pub/Sub destination whose settings or credential set cannot work (a check the registry could not
/// make: the project of a bare topic ID, a key Google.Apis.Auth cannot read): every message is refused with the
/// reason, so the error log shows it.
/// </summary>
internal sealed class PubSubMisconfigured(DeliveryResult refusal) : IFunnelAdapter
{
    public int MaxBatchSize => PubSubAdapter.MaxMessagesPerRequest;

    public int MaxMessageBytes => PubSubGrpcPublisher.MaxBodyBytes;

    public Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        Array.Fill(results, refusal, 0, batch.Count);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
