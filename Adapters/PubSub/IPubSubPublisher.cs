namespace Gateway.Adapters.PubSub;

/// <summary>
/// One way of sending a publish request (gRPC or REST). Pub/Sub accepts or refuses a request as a whole, so the
/// answer is one result for every message of the chunk. Never throws for a delivery failure; the caller maps its
/// own cancellation.
/// </summary>
internal interface IPubSubPublisher : IAsyncDisposable
{
    /// <summary>The largest body this transport sends within the 10 MB request limit.</summary>
    int MaxDataBytes { get; }

    /// <summary>An upper bound on a message's bytes in a request, for splitting a batch at 10 MB.</summary>
    long SizeOf(OutgoingMessage message);

    Task<DeliveryResult> PublishAsync(string topic, PubSubChunk chunk, string? token, CancellationToken cancellationToken);
}
