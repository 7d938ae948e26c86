using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Aws;

/// <summary>
/// Delivers batches to a Kinesis data stream (<c>PutRecords</c>) or a Firehose delivery stream
/// (<c>PutRecordBatch</c>): one call per stream and per chunk within the service's limits, each record's result
/// mapped on its own, so the dispatcher retries only the records AWS refused (a throttled shard, say).
/// </summary>
internal sealed class AwsRecordAdapter : IFunnelAdapter
{
    private static readonly MediaTypeHeaderValue s_json11 = new("application/x-amz-json-1.1");

    private readonly AwsRecordApi _api;
    private readonly AwsSettings _settings;
    private readonly AwsHttp _http;
    private readonly ILogger _logger;

    public AwsRecordAdapter(AwsRecordApi api, AwsSettings settings, AwsHttp http, AdapterContext context)
    {
        _api = api;
        _settings = settings;
        _http = http;
        _logger = context.LoggerFactory.CreateLogger<AwsRecordAdapter>();

        // Room is kept for the newline and the partition key, both of which count against AWS's per-record limit.
        MaxMessageBytes = api.MaxRecordBytes - (settings.AppendNewline ? 1 : 0) - (api.PartitionKeys ? AwsRecordApi.MaxPartitionKeyLength : 0);
    }

    public int MaxBatchSize => _api.MaxRecords;

    public int MaxMessageBytes { get; }

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        cancellationToken.ThrowIfCancellationRequested();
        var names = new string?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            names[i] = Check(batch[i], out var refusal);
            if (names[i] is null)
            {
                results[i] = refusal;
            }
        }

        // Usually every message names the same stream; with #{imsi} in the name, the streams are sent to at once,
        // each stream's chunks one after the other so that a device's records keep their order within a shard.
        var streams = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            if (names[i] is { } name)
            {
                if (!streams.TryGetValue(name, out var indices))
                {
                    streams[name] = indices = [];
                }

                indices.Add(i);
            }
        }

        if (streams.Count == 1)
        {
            var (name, indices) = streams.First();
            await SendStreamAsync(name, indices, batch, results, cancellationToken);
            return;
        }

        await Task.WhenAll(streams.Select(s => SendStreamAsync(s.Key, s.Value, batch, results, cancellationToken)));
    }

    /// <summary>One stream's messages, in calls within the service's limits on records and bytes.</summary>
    private async Task SendStreamAsync(string name, List<int> indices, IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        var chunk = new List<int>(Math.Min(indices.Count, _api.MaxRecords));
        var bytes = 0;
        foreach (var i in indices)
        {
            var size = RecordBytes(batch[i]);
            if (chunk.Count == _api.MaxRecords || bytes + size > _api.MaxRequestBytes)
            {
                await SendChunkAsync(name, chunk, batch, results, cancellationToken);
                chunk.Clear();
                bytes = 0;
            }

            chunk.Add(i);
            bytes += size;
        }

        await SendChunkAsync(name, chunk, batch, results, cancellationToken);
    }

    /// <summary>The stream <paramref name="message"/> goes to, or null with the reason it cannot be sent.</summary>
    private string? Check(OutgoingMessage message, out DeliveryResult refusal)
    {
        var service = _api.Service.Name;
        refusal = default;
        if (message.Body.Length > MaxMessageBytes)
        {
            refusal = DeliveryResult.Permanent(413, $"{service}: the record is {message.Body.Length} bytes; {service} takes at most {MaxMessageBytes} here");
            return null;
        }

        var name = _settings.Endpoint.NameFor(message.Target, out var problem);
        if (name is null)
        {
            refusal = DeliveryResult.Permanent(400, $"{service}: {problem}");
            return null;
        }

        if (message.Target is not null && AwsSettings.NameError(_api.Service, name) is { } error)
        {
            refusal = DeliveryResult.Permanent(400, $"{service}: {error}");
            return null;
        }

        return name;
    }

    private int RecordBytes(OutgoingMessage message) =>
        message.Body.Length + (_settings.AppendNewline ? 1 : 0) + (_api.PartitionKeys ? PartitionKey(message).Length : 0);

    private string PartitionKey(OutgoingMessage message) =>
        _settings.RandomizePartitionKey || message.Key is null ? Guid.NewGuid().ToString("N") : message.Key;

    private async Task SendChunkAsync(string name, List<int> chunk, IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        var body = Write(name, chunk, batch);
        using var request = new HttpRequestMessage(HttpMethod.Post, _http.BaseUri) { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
        request.Content.Headers.ContentType = s_json11;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", _api.Target);
        var answer = await _http.SendAsync(request, cancellationToken);
        if (answer.Failure is { } failure)
        {
            Fill(results, chunk, failure);
        }
        else if (!answer.IsSuccess)
        {
            Fill(results, chunk, AwsErrors.Map(_api.Service, answer.ErrorCode, answer.Status, name));
        }
        else
        {
            ReadResults(answer.Body, name, chunk, results);
        }
    }

    private ArrayBufferWriter<byte> Write(string name, List<int> chunk, IReadOnlyList<OutgoingMessage> batch)
    {
        var estimate = 64 + name.Length;
        foreach (var i in chunk)
        {
            estimate += ((batch[i].Body.Length + 3) * 4 / 3) + 64;
        }

        var output = new ArrayBufferWriter<byte>(estimate);
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString(_api.NameField, name);
        writer.WriteStartArray("Records"u8);
        foreach (var i in chunk)
        {
            var message = batch[i];
            writer.WriteStartObject();
            if (_settings.AppendNewline)
            {
                // Firehose concatenates records in S3; a newline keeps them one per line. Copied once to add the byte.
                var data = ArrayPool<byte>.Shared.Rent(message.Body.Length + 1);
                message.Body.Span.CopyTo(data);
                data[message.Body.Length] = (byte)'\n';
                writer.WriteBase64String("Data"u8, data.AsSpan(0, message.Body.Length + 1));
                ArrayPool<byte>.Shared.Return(data);
            }
            else
            {
                writer.WriteBase64String("Data"u8, message.Body.Span);
            }

            if (_api.PartitionKeys)
            {
                writer.WriteString("PartitionKey"u8, PartitionKey(message));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return output;
    }

    /// <summary>Each record's result, in order: AWS answers 200 for the call and names each refused record's error.</summary>
    private void ReadResults(byte[] body, string name, List<int> chunk, DeliveryResult[] results)
    {
        var service = _api.Service.Name;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty(_api.ResultsField, out var records) || records.ValueKind != JsonValueKind.Array
                || records.GetArrayLength() != chunk.Count)
            {
                Fill(results, chunk, DeliveryResult.Transient(502, $"{service}: AWS's answer does not list a result per record"));
                return;
            }

            var k = 0;
            var failed = 0;
            foreach (var record in records.EnumerateArray())
            {
                var code = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("ErrorCode"u8, out var c) && c.ValueKind == JsonValueKind.String
                    ? AwsErrors.Code(c.GetString(), default) ?? "unknown"
                    : null;
                results[chunk[k++]] = code is null ? DeliveryResult.Ok : AwsErrors.Map(_api.Service, code, 0, name);
                failed += code is null ? 0 : 1;
            }

            if (failed > 0)
            {
                AwsLog.PartialFailure(_logger, service, _settings.Endpoint.Label, failed, chunk.Count);
            }
        }
        catch (JsonException)
        {
            Fill(results, chunk, DeliveryResult.Transient(502, $"{service}: AWS's answer is not JSON"));
        }
    }

    private static void Fill(DeliveryResult[] results, List<int> chunk, DeliveryResult result)
    {
        foreach (var i in chunk)
        {
            results[i] = result;
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
