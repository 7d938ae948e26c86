namespace Gateway.Adapters.PubSub;

/// <summary>
/// Delivers to one Pub/Sub destination. A batch becomes one publish request per topic (several only when the topic
/// holds <c>#{imsi}</c>), split further to stay within 1,000 messages and 10 MB per request; those requests run at
/// once, each with a current access token when the destination uses one. Pub/Sub accepts or refuses a request as a
/// whole, so every message of a request gets the same result. The transport (gRPC by default, or REST) is an
/// <see cref="IPubSubPublisher"/>.
/// </summary>
internal sealed class PubSubAdapter : IFunnelAdapter
{
    /// <summary>Pub/Sub's limits: messages per publish request, and bytes per request.</summary>
    public const int MaxMessagesPerRequest = 1_000, MaxRequestBytes = 10_000_000;

    private readonly PubSubSettings _settings;
    private readonly string _project;
    private readonly PubSubTokens? _tokens;
    private readonly IPubSubPublisher _publisher;
    private readonly string? _fixedTopic;

    public PubSubAdapter(PubSubSettings settings, string project, PubSubTokens? tokens, IPubSubPublisher publisher)
    {
        _settings = settings;
        _project = project;
        _tokens = tokens;
        _publisher = publisher;
        if (!settings.IsPerSubscriber)
            _fixedTopic = TopicPath(settings.TopicId);
    }

    public int MaxBatchSize => MaxMessagesPerRequest;

    public int MaxMessageBytes => _publisher.MaxDataBytes;

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
            return;

        // Group by topic, in order; most destinations have one topic, so the common case is one list.
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            if (message.Body.Length > _publisher.MaxDataBytes)
            {
                results[i] = DeliveryResult.Permanent(413, $"google/pubsub: the message is {message.Body.Length} bytes; at most {_publisher.MaxDataBytes} are sent");
                continue;
            }
            var topic = _fixedTopic ?? TopicOf(message, out results[i]);
            if (topic is null)
                continue;
            if (!groups.TryGetValue(topic, out var list))
                groups[topic] = list = [];
            list.Add(i);
        }

        var requests = new List<Task>();
        foreach (var (topic, indices) in groups)
        {
            var start = 0;
            while (start < indices.Count)
            {
                var end = ChunkEnd(batch, indices, start);
                requests.Add(PublishAsync(topic, new PubSubChunk(batch, indices, start, end), results, cancellationToken));
                start = end;
            }
        }
        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    /// <summary>The end (exclusive) of the chunk starting at <paramref name="start"/>: within the count and size limits, never empty.</summary>
    private int ChunkEnd(IReadOnlyList<OutgoingMessage> batch, List<int> indices, int start)
    {
        long bytes = 256;
        var end = start;
        while (end < indices.Count && end - start < MaxMessagesPerRequest)
        {
            var size = _publisher.SizeOf(batch[indices[end]]);
            if (end > start && bytes + size > MaxRequestBytes)
                break;
            bytes += size;
            end++;
        }
        return end;
    }

    /// <summary>The message's topic path from its target (the resource URL with <c>#{imsi}</c> replaced), or null with the refusal.</summary>
    private string? TopicOf(OutgoingMessage message, out DeliveryResult refusal)
    {
        refusal = default;
        var imsi = message.Target is { } target ? _settings.ImsiOf(target) : null;
        if (imsi is null)
        {
            refusal = DeliveryResult.Permanent(400, message.Target is null
                ? "google/pubsub: the topic holds #{imsi} but the message names no target"
                : "google/pubsub: the message's target is not this destination's topic");
            return null;
        }
        var topicId = _settings.TopicId.Replace(PubSubSettings.Placeholder, imsi, StringComparison.Ordinal);
        if (PubSubTopic.TopicIdError(topicId) is { } error)
        {
            refusal = DeliveryResult.Permanent(400, $"google/pubsub: topic '{topicId}' {error}");
            return null;
        }
        return TopicPath(topicId);
    }

    private string TopicPath(string topicId) => $"projects/{_project}/topics/{topicId}";

    private async Task PublishAsync(string topic, PubSubChunk chunk, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        DeliveryResult result;
        try
        {
            string? token = null;
            var failure = default(DeliveryResult);
            if (_tokens is not null)
                (token, failure) = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            result = _tokens is not null && token is null
                ? failure
                : await _publisher.PublishAsync(topic, chunk, token, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's deadline. Consumers drop the duplicates a retry may make by the messageId attribute.
            result = PubSubErrors.DeadlinePassed;
        }
        for (var i = chunk.Start; i < chunk.End; i++)
            results[chunk.Indices[i]] = result;
    }

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
