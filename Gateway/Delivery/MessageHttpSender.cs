using System.Buffers;
using System.Diagnostics;
using Gateway.Beam;

namespace Gateway.Delivery;

/// <summary>
/// Sends one device message as one HTTP request, for every message-style delivery (Beam's TCP/UDP→HTTP and LPWA
/// entries today, Funnel's webhook later): the shared connection pools, the per-request timeout, the TLS profile
/// (per-SIM client certificates included), the failure classification every path answers with, one log line per
/// failure, metrics, and a bounded read of the reply. The caller builds the request (its body and headers) and
/// turns the result into its own reply.
/// </summary>
internal sealed partial class MessageHttpSender(BeamHttpClient client, ILogger<MessageHttpSender> logger, Health.DestinationHealthBoard? health = null)
{
    /// <summary>Reply bodies are cut at this size (they go back to a device, in a datagram or a TCP reply).</summary>
    public const int MaxReplyBytes = 64 * 1024;

    /// <summary>The pooled client without a TLS profile of its own, for senders that bring their own requests (Funnel's webhook).</summary>
    public HttpMessageInvoker Invoker => client.Invoker;

    /// <summary>The pooled client for a TLS profile (one pool per profile).</summary>
    public HttpMessageInvoker For(UpstreamTls? tls) => client.For(tls);

    /// <summary>
    /// Sends the request. Never throws for what the upstream did (refused, timed out, TLS, malformed): that comes back
    /// as <see cref="HttpSendResult.Failure"/>. Cancelling <paramref name="cancellationToken"/> (the device or the
    /// process went away) does throw.
    /// </summary>
    public async Task<HttpSendResult> SendAsync(HttpRequestMessage request, HttpSendOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.For(options.Tls).SendAsync(request, timeout.Token);
            DeliveryMetrics.UpstreamDuration(options.EntryPoint, Stopwatch.GetElapsedTime(started));
            var body = options.ReadBody ? await ReadBoundedAsync(response.Content, MaxReplyBytes, timeout.Token) : [];
            var result = new HttpSendResult((int)response.StatusCode, body, null);
            DeliveryMetrics.Count(options.EntryPoint, result.Outcome);
            Record(options, request.RequestUri!, result.Status < 400 ? null : Health.DestinationTracker.UpstreamAnswered(result.Status));
            return result;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            var failure = UpstreamFailure.Classify(e, options.Timeout, timeout.IsCancellationRequested);
            LogUpstreamFailed(logger, options.Service, options.EntryPoint, options.Device, request.RequestUri!.GetLeftPart(UriPartial.Authority), failure.Reason);
            DeliveryMetrics.Count(options.EntryPoint, failure.Metric);
            Record(options, request.RequestUri!, failure.Reason);
            return new HttpSendResult(failure.Status, [], failure);
        }
    }

    /// <summary>The destination's health: an answer below 400 is a success, anything else a failure with its reason.</summary>
    private void Record(HttpSendOptions options, Uri destination, string? failure)
    {
        if (health is null)
        {
            return;
        }

        if (failure is null)
        {
            health.Succeeded(options.Service, "http", Health.DestinationHealthBoard.Name(destination));
        }
        else
        {
            health.Failed(options.Service, "http", Health.DestinationHealthBoard.Name(destination), failure);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        return await ReadBoundedAsync(stream, limit, cancellationToken);
    }

    /// <summary>
    /// At most <paramref name="limit"/> bytes of <paramref name="stream"/> (the rest is left unread), copied out at
    /// their real length. Most replies are a few bytes, so the read goes into a pooled buffer rather than a fresh
    /// one of the limit's size per message.
    /// </summary>
    internal static async ValueTask<byte[]> ReadBoundedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var total = 0;
            int n;
            while (total < limit && (n = await stream.ReadAsync(buffer.AsMemory(total, limit - total), cancellationToken)) > 0)
            {
                total += n;
            }

            return total == 0 ? [] : buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} {EntryPoint}: subscriber {Imsi} → {Upstream}: {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string service, string entryPoint, string imsi, string upstream, string reason);
}
