using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// Delivers to one Pub/Sub destination over the REST API (<c>POST {endpoint}/v1/{topic}:publish</c>) with the
/// gateway's shared HTTP client. A batch becomes one publish request per topic (several only when the topic holds
/// <c>#{imsi}</c>), split further to stay within 1,000 messages and 10 MB per request; those requests run at once.
/// Pub/Sub accepts or refuses a publish request as a whole, so every message of a request gets the same result.
/// </summary>
internal sealed class PubSubAdapter : IFunnelAdapter
{
    /// <summary>Pub/Sub's limits: messages per publish request, and bytes per request.</summary>
    public const int MaxMessagesPerRequest = 1_000, MaxRequestBytes = 10_000_000;

    /// <summary>
    /// The largest body sent. REST carries data as base64 (4/3 larger) inside the 10 MB request, so 7 MB is what
    /// fits with attributes; Funnel's own bodies stay far below it (800 kB over HTTP).
    /// </summary>
    public const int MaxDataBytes = 7_000_000;

    /// <summary>How much of an answer is read: a success holds message IDs, an error a short JSON object.</summary>
    private const int MaxAnswerBytes = 1 << 20;

    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly PubSubSettings _settings;
    private readonly string _project;
    private readonly Uri _endpoint;
    private readonly PubSubTokens? _tokens;
    private readonly HttpMessageInvoker _http;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly string? _fixedTopic;
    private readonly Uri? _fixedUri;

    public PubSubAdapter(PubSubSettings settings, string project, Uri endpoint, PubSubTokens? tokens, AdapterContext context, string name)
    {
        _settings = settings;
        _project = project;
        _endpoint = endpoint;
        _tokens = tokens;
        _http = context.Http;
        _logger = context.LoggerFactory.CreateLogger<PubSubAdapter>();
        _name = name;
        if (!settings.IsPerSubscriber)
        {
            _fixedTopic = TopicPath(settings.TopicId);
            _fixedUri = PublishUri(_fixedTopic);
        }
    }

    public int MaxBatchSize => MaxMessagesPerRequest;

    public int MaxMessageBytes => MaxDataBytes;

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
            if (message.Body.Length > MaxDataBytes)
            {
                results[i] = DeliveryResult.Permanent(413, $"google/pubsub: the message is {message.Body.Length} bytes; at most {MaxDataBytes} are sent");
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
            var uri = _fixedUri ?? PublishUri(topic);
            var start = 0;
            while (start < indices.Count)
            {
                var end = ChunkEnd(batch, indices, start);
                requests.Add(PublishAsync(topic, uri, batch, indices, start, end, results, cancellationToken));
                start = end;
            }
        }
        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    /// <summary>The end (exclusive) of the chunk starting at <paramref name="start"/>: within the count and size limits, never empty.</summary>
    private static int ChunkEnd(IReadOnlyList<OutgoingMessage> batch, List<int> indices, int start)
    {
        long bytes = 64;
        var end = start;
        while (end < indices.Count && end - start < MaxMessagesPerRequest)
        {
            var size = EncodedSize(batch[indices[end]]);
            if (end > start && bytes + size > MaxRequestBytes)
                break;
            bytes += size;
            end++;
        }
        return end;
    }

    /// <summary>An upper bound on a message's bytes in the request: base64 data, attributes (escaping at most triples), framing.</summary>
    private static long EncodedSize(OutgoingMessage message)
    {
        long size = ((message.Body.Length + 2L) / 3 * 4) + 96 + (message.MessageId.Length * 3) + (message.ContentType.Length * 3);
        foreach (var (name, value) in message.Attributes)
            size += ((name.Length + value.Length) * 3L) + 8;
        if (message.Key is { } key)
            size += (key.Length * 3L) + 20;
        return size;
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

    private Uri PublishUri(string topicPath) => new(_endpoint, $"v1/{topicPath}:publish");

    private async Task PublishAsync(string topic, Uri uri, IReadOnlyList<OutgoingMessage> batch, List<int> indices, int start, int end,
        DeliveryResult[] results, CancellationToken cancellationToken)
    {
        var result = await PublishAsync(topic, uri, batch, indices, start, end, cancellationToken).ConfigureAwait(false);
        for (var i = start; i < end; i++)
            results[indices[i]] = result;
    }

    private async Task<DeliveryResult> PublishAsync(string topic, Uri uri, IReadOnlyList<OutgoingMessage> batch, List<int> indices, int start, int end,
        CancellationToken cancellationToken)
    {
        try
        {
            string? token = null;
            if (_tokens is not null)
            {
                (token, var failure) = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
                if (token is null)
                    return failure;
            }

            var body = new ArrayBufferWriter<byte>(256 + (int)Math.Min(MaxRequestBytes, (end - start) * 400L));
            WriteRequest(body, batch, indices, start, end);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
            request.Content.Headers.ContentType = s_json;
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var answer = await ReadAsync(response.Content, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
                return CountIds(answer) == end - start
                    ? DeliveryResult.Ok
                    : DeliveryResult.Transient(502, "google/pubsub: the service's answer did not list one message ID per message");
            PubSubLog.PublishFailed(_logger, _name, topic, status);
            return PubSubErrors.Map(status, answer, topic);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's deadline. The service may still have taken the request: a retry can duplicate, and
            // consumers drop duplicates by the messageId attribute.
            return DeliveryResult.Transient(504, "google/pubsub: no answer from the service before the deadline");
        }
        catch (OperationCanceledException)
        {
            return DeliveryResult.Transient(504, "google/pubsub: the request to the service timed out");
        }
        catch (HttpRequestException e)
        {
            PubSubLog.PublishFailed(_logger, _name, topic, 0);
            return DeliveryResult.Transient(502, $"google/pubsub: the service is unreachable ({e.HttpRequestError})");
        }
    }

    /// <summary><c>{"messages": [{"data": base64, "attributes": {…}, "orderingKey": …}, …]}</c>.</summary>
    private void WriteRequest(IBufferWriter<byte> output, IReadOnlyList<OutgoingMessage> batch, List<int> indices, int start, int end)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("messages"u8);
        for (var i = start; i < end; i++)
        {
            var message = batch[indices[i]];
            writer.WriteStartObject();
            writer.WriteBase64String("data"u8, message.Body.Span);
            writer.WriteStartObject("attributes"u8);
            foreach (var (name, value) in message.Attributes)
                writer.WriteString(name, value);
            writer.WriteString("contentType"u8, message.ContentType);
            writer.WriteString("messageId"u8, message.MessageId);
            writer.WriteEndObject();
            if (_settings.OrderingByImsi && message.Key is { Length: > 0 } key)
                writer.WriteString("orderingKey"u8, key);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task<byte[]> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while (buffer.Length < MaxAnswerBytes && (n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                buffer.Write(chunk, 0, (int)Math.Min(n, MaxAnswerBytes - buffer.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    /// <summary>How many IDs <c>{"messageIds": [...]}</c> lists; -1 when the answer is not that.</summary>
    private static int CountIds(ReadOnlySpan<byte> answer)
    {
        try
        {
            var reader = new Utf8JsonReader(answer);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("messageIds"u8, out var ids) && ids.ValueKind == JsonValueKind.Array
                ? ids.GetArrayLength()
                : -1;
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the HTTP client is the gateway's; the credential holds no connection
}
