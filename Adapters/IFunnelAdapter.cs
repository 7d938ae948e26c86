namespace Gateway.Adapters;

/// <summary>
/// A client for one destination and one credential set, made by an <see cref="IFunnelAdapterFactory"/>, reused for
/// every message to that destination, and disposed when the configuration that made it changes. Batching,
/// concurrency, retries, metrics and logs belong to the caller; an adapter sends what it is given once.
/// </summary>
public interface IFunnelAdapter : IAsyncDisposable
{
    /// <summary>The most messages one <see cref="SendAsync"/> call takes (the service's batch limit).</summary>
    int MaxBatchSize { get; }

    /// <summary>The largest <see cref="OutgoingMessage.Body"/> the service takes; a larger message is refused, not sent.</summary>
    int MaxMessageBytes { get; }

    /// <summary>
    /// How long the adapter's client library may keep, and still deliver, a message it was handed after the caller's
    /// token fired (Kafka: librdkafka's <c>message.timeout.ms</c>). The caller hands it no message with less time than
    /// this left before the message's deadline, because the device is told the message failed at that deadline.
    /// Zero (the default) for adapters whose send stops with the token.
    /// </summary>
    TimeSpan KeepsMessagesFor => TimeSpan.Zero;

    /// <summary>
    /// Sends a batch once and fills <paramref name="results"/> (same length and order as <paramref name="batch"/>).
    /// Never throws for a delivery failure: each message's result says what happened; a whole-batch failure
    /// gives every message the same result. Throws only on cancellation.
    /// </summary>
    Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken);
}
