using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// Publishes over the REST API, <c>POST {endpoint}/v1/{topic}:publish</c> with
/// <c>{"messages": [{"data": base64, "attributes": {…}, "orderingKey": …}]}</c>, on the gateway's shared HTTP client.
/// Chosen with <c>"transport": "rest"</c> (for networks that do not pass HTTP/2); gRPC is the default (see README).
/// </summary>
internal sealed class PubSubRestPublisher(Uri endpoint, bool orderingByImsi, AdapterContext context, string name) : IPubSubPublisher
{
    /// <summary>REST carries data as base64 (4/3 larger) inside the 10 MB request: 7 MB is what fits with attributes.</summary>
    public const int MaxBodyBytes = 7_000_000;

    /// <summary>How much of an answer is read: a success holds message IDs, an error a short JSON object.</summary>
    private const int MaxAnswerBytes = 1 << 20;

    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly ILogger _logger = context.LoggerFactory.CreateLogger<PubSubRestPublisher>();

    public int MaxDataBytes => MaxBodyBytes;

    public long SizeOf(OutgoingMessage message) => ((message.Body.Length + 2L) / 3 * 4) + PubSubAttributes.SizeOf(message);

    public async Task<DeliveryResult> PublishAsync(string topic, PubSubChunk chunk, string? token, CancellationToken cancellationToken)
    {
        try
        {
            var body = new ArrayBufferWriter<byte>(256 + (int)Math.Min(PubSubAdapter.MaxRequestBytes, chunk.Count * 400L));
            WriteRequest(body, chunk);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, $"v1/{topic}:publish"))
            {
                Content = new ReadOnlyMemoryContent(body.WrittenMemory),
            };
            request.Content.Headers.ContentType = s_json;
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await context.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var answer = await ReadAsync(response.Content, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
                return CountIds(answer) == chunk.Count ? DeliveryResult.Ok : PubSubErrors.MissingIds;
            PubSubLog.PublishRefused(_logger, name, topic, status);
            return PubSubErrors.Map(status, answer, topic);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PubSubErrors.TimedOut;
        }
        catch (HttpRequestException e)
        {
            PubSubLog.PublishUnreachable(_logger, name, topic, e.HttpRequestError);
            return PubSubErrors.Unreachable(e.HttpRequestError.ToString());
        }
    }

    private void WriteRequest(IBufferWriter<byte> output, PubSubChunk chunk)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("messages"u8);
        for (var i = 0; i < chunk.Count; i++)
        {
            var message = chunk[i];
            writer.WriteStartObject();
            writer.WriteBase64String("data"u8, message.Body.Span);
            writer.WriteStartObject("attributes"u8);
            foreach (var (key, value) in message.Attributes)
                writer.WriteString(key, value);
            writer.WriteString(PubSubAttributes.ContentType, message.ContentType);
            writer.WriteString(PubSubAttributes.MessageId, message.MessageId);
            writer.WriteEndObject();
            if (orderingByImsi && message.Key is { Length: > 0 } orderingKey)
                writer.WriteString("orderingKey"u8, orderingKey);
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

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the HTTP client is the gateway's
}
