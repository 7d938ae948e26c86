using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Registry;

namespace Gateway.Beam;

/// <summary>
/// TCP/UDP→HTTP: turns device bytes into Beam's upstream request, <c>POST {"payload":"&lt;base64&gt;"}</c> with
/// <c>User-Agent: SORACOM Beam</c> and <c>Content-Type: application/json</c>, plus the group's headers, and returns
/// the upstream's status and body (bounded) or the failure.
/// </summary>
internal sealed partial class PayloadPoster(BeamHttpClient client, TimeProvider time, ILogger<PayloadPoster> logger)
{
    /// <summary>Upstream reply bodies relayed to a device are cut at this size.</summary>
    public const int MaxReplyBytes = 64 * 1024;

    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly ProductInfoHeaderValue[] s_userAgent = [new("SORACOM", null), new("Beam", null)];

    public async Task<UpstreamReply> PostAsync(string entryPoint, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        // With the group's binary parser on, its JSON replaces the {"payload": …} wrapper, as SORACOM does.
        var body = new ArrayBufferWriter<byte>(payload.Length * 4 / 3 + 64);
        if (Pipeline.GroupBinaryParser.For(device.Group) is { } decoder)
        {
            decoder.Decode(payload.Span, body);
        }
        else
        {
            using var writer = new Utf8JsonWriter(body);
            writer.WriteStartObject();
            writer.WriteBase64String("payload"u8, payload.Span);
            writer.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, entry.Destination) { Version = System.Net.HttpVersion.Version11 };
        request.Content = new ReadOnlyMemoryContent(body.WrittenMemory);
        request.Content.Headers.ContentType = s_json;
        request.Headers.TryAddWithoutValidation("User-Agent", "SORACOM Beam");
        BeamHeaders.Apply(request, entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds(), body.WrittenSpan);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(entry.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.For(config.TlsFor(entry, device.Subscriber!.Imsi)).SendAsync(request, timeout.Token);
            BeamMetrics.UpstreamDuration(entryPoint, Stopwatch.GetElapsedTime(started));
            var reply = await ReadBoundedAsync(response.Content, timeout.Token);
            BeamMetrics.Count(entryPoint, (int)response.StatusCode < 400 ? "ok" : "upstream_error_status");
            return new UpstreamReply((int)response.StatusCode, reply, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            var failure = UpstreamFailure.Classify(e, entry.Timeout, timeout.IsCancellationRequested);
            BeamHttpEntryPoint.LogUpstreamFailed(logger, entryPoint, device.Label, entry.Destination.GetLeftPart(UriPartial.Authority), failure.Reason);
            BeamMetrics.Count(entryPoint, failure.Metric);
            return new UpstreamReply(failure.Status, [], failure.Reason);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxReplyBytes];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += n;
        }

        return buffer[..total];
    }
}
