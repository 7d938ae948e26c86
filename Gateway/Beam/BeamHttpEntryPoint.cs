using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.Primitives;
using Gateway.Registry;

namespace Gateway.Beam;

/// <summary>
/// The HTTP entry point (:8888, one destination per configured path, query dropped) and the website entry point
/// (:18080, the device's path and query appended to the destination). Both resolve the device from its source
/// address, strip anything the device sent as <c>x-soracom-*</c>, add the group's headers and stream the request
/// and the response through the pooled client.
/// </summary>
internal sealed partial class BeamHttpEntryPoint(IdentityResolver resolver, BeamHttpClient client, TimeProvider time, ILogger<BeamHttpEntryPoint> logger, Microsoft.Extensions.Options.IOptions<BeamOptions> options) : IDisposable
{
    // Requests from an unknown address cost a few lines and a summary per window; the metrics count every one.
    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "Beam http: refused requests", time);

    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _deviceCa = LoadDeviceCa(options.Value.ClientCaFile);

    public const string HttpName = "http";
    public const string WebsiteName = "website";

    /// <summary>Bodies the RFC 9421 option must hash before sending are buffered up to this size.</summary>
    public const int MaxSignedBodyBytes = 1024 * 1024;

    public void Dispose() => _refusals.Dispose();

    public Task HandleHttpAsync(HttpContext context) => HandleAsync(context, website: false);

    public Task HandleWebsiteAsync(HttpContext context) => HandleAsync(context, website: true);

    private async Task HandleAsync(HttpContext context, bool website)
    {
        var name = website ? WebsiteName : HttpName;
        var remote = context.Connection.RemoteIpAddress!;

        // On the TLS port the client certificate says who the device is; elsewhere the network does.
        var certificate = context.Connection.ClientCertificate;
        var device = certificate is not null
            ? resolver.ResolveCertificate(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), certificate.Subject, IssuedByDeviceCa(certificate))
            : resolver.ResolveAddress(remote);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(remote))
            {
                LogRefused(logger, name, remote.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            BeamMetrics.Count(name, BeamMetrics.Refused(device.Refusal));
            await TextAsync(context, StatusCodes.Status403Forbidden, "device not recognised");
            return;
        }

        var config = BeamGroupConfig.For(device.Group, resolver.Snapshot);
        var remainder = string.Empty;
        var entry = website ? config.Website : config.MatchHttp(context.Request.Path.Value ?? "/", out remainder);
        if (entry is null || !entry.Enabled)
        {
            BeamMetrics.Count(name, "no_entry");
            await TextAsync(context, StatusCodes.Status404NotFound, website ? "no Beam website entry for this device's group" : "no Beam entry for this path");
            return;
        }

        // HTTP: the path below a matched prefix is kept, the query is dropped as SORACOM does.
        // Website: the device's whole path and query follow the destination's base path.
        var target = website
            ? Append(entry.Destination, context.Request.Path.ToUriComponent(), context.Request.QueryString.ToUriComponent())
            : remainder.Length == 0 ? entry.Destination : BelowPrefix(entry.Destination, remainder);

        if (website && context.WebSockets.IsWebSocketRequest)
        {
            await ConnectWebSocketAsync(context, device, config, entry, target);
            return;
        }

        await ForwardAsync(context, name, device, config, entry, target);
    }

    private async Task ConnectWebSocketAsync(HttpContext context, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, Uri target)
    {
        const string name = "websocket";
        var upstream = new ClientWebSocket();
        try
        {
            // The Beam headers are computed on a scratch request and copied onto the WebSocket handshake.
            using (var scratch = new HttpRequestMessage(HttpMethod.Get, target))
            {
                BeamHeaders.Apply(scratch, entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds(), []);
                foreach (var (header, values) in scratch.Headers)
                {
                    upstream.Options.SetRequestHeader(header, string.Join(", ", values));
                }
            }

            foreach (var protocol in context.WebSockets.WebSocketRequestedProtocols)
            {
                upstream.Options.AddSubProtocol(protocol);
            }

            // TLS (extra roots, client certificate) comes with the entry's pooled client, passed to ConnectAsync.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(entry.Timeout);
            try
            {
                await upstream.ConnectAsync(WebSocketRelay.ToWebSocketUri(target), client.For(config.TlsFor(entry, device.Subscriber!.Imsi)), timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                var failure = e is WebSocketException { WebSocketErrorCode: WebSocketError.NotAWebSocket }
                    ? new UpstreamFailure(502, "upstream did not accept the WebSocket", "upstream_not_websocket")
                    : UpstreamFailure.Classify(e, entry.Timeout, timeout.IsCancellationRequested);
                LogUpstreamFailed(logger, name, device.Label, target.GetLeftPart(UriPartial.Authority), failure.Reason);
                BeamMetrics.Count(name, failure.Metric);
                await TextAsync(context, failure.Status, failure.Reason);
                return;
            }

            BeamMetrics.Count(name, "ok");
            await WebSocketRelay.RelayAsync(context, upstream, TimeSpan.FromSeconds(options.Value.WebSocketIdleSeconds));
        }
        finally
        {
            upstream.Dispose();
        }
    }

    private static void ExtendTimeout(CancellationTokenSource timeout, TimeSpan after)
    {
        try
        {
            timeout.CancelAfter(after);
        }
        catch (ObjectDisposedException)
        {
            // The exchange is over; the content may be read once more as the upstream request ends.
        }
    }

    private async Task ForwardAsync(HttpContext context, string name, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, Uri target)
    {
        var upstream = new HttpRequestMessage(HttpMethod.Parse(context.Request.Method), target) { Version = System.Net.HttpVersion.Version11 };
        byte[]? buffered = null;
        ProgressReportingStream? streamed = null;
        var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            if (entry.MessageSigner is not null)
            {
                // The digest must be in the headers, so the body is read first (bounded).
                buffered = await Pipeline.BoundedBody.ReadAsync(context.Request.Body, MaxSignedBodyBytes, context.RequestAborted, context.Request.ContentLength);
                if (buffered is null)
                {
                    BeamMetrics.Count(name, "too_large");
                    await TextAsync(context, StatusCodes.Status413PayloadTooLarge, $"body over {MaxSignedBodyBytes} bytes cannot be signed");
                    return;
                }

                upstream.Content = new ByteArrayContent(buffered);
            }
            else
            {
                streamed = new ProgressReportingStream(context.Request.Body);
                upstream.Content = new StreamContent(streamed, 16 * 1024);
            }
        }

        foreach (var (header, values) in context.Request.Headers)
        {
            if (BeamHeaders.IsDropped(header))
            {
                continue;
            }

            // Single values (nearly all) go in as a string: no enumerator, no array.
            System.Net.Http.Headers.HttpHeaders? targetHeaders = BeamHeaders.IsContentHeader(header) ? upstream.Content?.Headers : upstream.Headers;
            if (values.Count == 1)
            {
                targetHeaders?.TryAddWithoutValidation(header, values.ToString());
            }
            else
            {
                targetHeaders?.TryAddWithoutValidation(header, (IEnumerable<string?>)values);
            }
        }

        BeamHeaders.Apply(upstream, entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds(), buffered ?? []);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(entry.Timeout);
        if (streamed is not null)
        {
            // The timeout bounds waiting: while the device's body is arriving, it starts again with each read.
            streamed.OnProgress = () => ExtendTimeout(timeout, entry.Timeout);
        }

        HttpResponseMessage response;
        var started = Stopwatch.GetTimestamp();
        try
        {
            response = await client.For(config.TlsFor(entry, device.Subscriber!.Imsi)).SendAsync(upstream, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || e.InnerException is BadHttpRequestException { StatusCode: 413 })
            {
                BeamMetrics.Count(name, "too_large");
                await TextAsync(context, StatusCodes.Status413PayloadTooLarge, "request body too large");
                return;
            }

            if (DeviceBodyFault(e) is { } bad)
            {
                // The device's body was malformed (an invalid chunk size): its fault, answered as Kestrel answers a
                // malformed request, 400 and the connection closed, not a 502 blaming the upstream.
                BeamMetrics.Count(name, "bad_request");
                context.Response.Headers.Connection = "close";
                await TextAsync(context, bad.StatusCode, "malformed request body");
                return;
            }

            var failure = UpstreamFailure.Classify(e, entry.Timeout, timeout.IsCancellationRequested);
            LogUpstreamFailed(logger, name, device.Label, target.GetLeftPart(UriPartial.Authority), failure.Reason);
            BeamMetrics.Count(name, failure.Metric);

            // As on the relay: a body not read to its end leaves the connection out of step, so it closes after the
            // reply (said in the reply, rather than Kestrel waiting for the rest and closing later).
            if (BodyLeftUnread(context))
            {
                context.Response.Headers.Connection = "close";
            }

            await TextAsync(context, failure.Status, failure.Reason);
            return;
        }
        finally
        {
            upstream.Dispose();
        }

        using (response)
        {
            BeamMetrics.UpstreamDuration(name, Stopwatch.GetElapsedTime(started));
            context.Response.StatusCode = (int)response.StatusCode;
            CopyResponseHeaders(response, context.Response);
            // As on the relay: each wait for more of the upstream's body, and each for the device to take what was
            // written, is bounded by the entry's timeout (Kestrel's minimum data rate allows pending bytes / 240 s).
            // The step's own timer, apart from RequestAborted: Kestrel aborts the request when a write is cancelled,
            // and a stalled device must still be told from one that went away.
            using var step = new CancellationTokenSource();
            using var stepOrAborted = CancellationTokenSource.CreateLinkedTokenSource(step.Token, context.RequestAborted);
            var writing = false;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                while (true)
                {
                    writing = false;
                    step.CancelAfter(entry.Timeout);
                    var n = await body.ReadAsync(buffer, stepOrAborted.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    writing = true;
                    step.CancelAfter(entry.Timeout);
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), stepOrAborted.Token);
                }

                BeamMetrics.Count(name, "ok");
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // The head is already sent: all that is left is to cut the device's response short.
                if (writing && step.IsCancellationRequested)
                {
                    BeamMetrics.Count(name, "device_write_timeout");
                    LogDeviceStalled(logger, name, device.Label, (int)entry.Timeout.TotalSeconds);
                }
                else
                {
                    BeamMetrics.Count(name, "upstream_body_failed");
                }

                context.Abort();
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse target)
    {
        // NonValidated: the values as received, without parsing them into typed headers first.
        foreach (var (header, values) in response.Headers.NonValidated)
        {
            if (!BeamHeaders.IsHopByHop(header))
            {
                target.Headers.Append(header, values.Count == 1 ? new StringValues(values.ToString()) : new StringValues([.. values]));
            }
        }

        foreach (var (header, values) in response.Content.Headers.NonValidated)
        {
            target.Headers.Append(header, values.Count == 1 ? new StringValues(values.ToString()) : new StringValues([.. values]));
        }

        // Kestrel frames the body itself.
        target.Headers.Remove("Transfer-Encoding");
    }

    private bool IssuedByDeviceCa(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        if (_deviceCa is null)
        {
            return false;
        }

        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_deviceCa);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection? LoadDeviceCa(string? file)
    {
        if (file is null)
        {
            return null;
        }

        var collection = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        collection.ImportFromPemFile(file);
        return collection;
    }

    // The device's own fault inside an upstream failure: Kestrel's exception for a malformed or oversized body,
    // however deep HttpClient wrapped it.
    private static BadHttpRequestException? DeviceBodyFault(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is BadHttpRequestException bad)
            {
                return bad;
            }
        }

        return null;
    }

    /// <summary>Whether the request has body bytes not yet read (or not yet arrived): checked without waiting.</summary>
    private static bool BodyLeftUnread(HttpContext context)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            return false;
        }

        try
        {
            if (!context.Request.BodyReader.TryRead(out var result))
            {
                return true;
            }

            var done = result.IsCompleted && result.Buffer.IsEmpty;
            context.Request.BodyReader.AdvanceTo(result.Buffer.Start);
            return !done;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or BadHttpRequestException)
        {
            // A read still pending from the cancelled upstream send, or a body already broken: not usable again.
            return true;
        }
    }

    /// <summary>The HTTP entry's target for the path below its matched prefix (escaped, slashes kept; no query).</summary>
    internal static Uri BelowPrefix(Uri destination, string remainder) =>
        Append(destination, Uri.EscapeDataString(remainder).Replace("%2F", "/", StringComparison.Ordinal), string.Empty);

    internal static Uri Append(Uri destination, string path, string query)
    {
        var builder = new UriBuilder(destination);
        if (path.Length > 0)
        {
            builder.Path = builder.Path.TrimEnd('/') + (path.StartsWith('/') ? path : "/" + path);
        }

        // The device's query (website) replaces none of the destination's own: it is used only when the device sent one.
        builder.Query = query.Length > 0 ? query.TrimStart('?') : builder.Query.TrimStart('?');
        return builder.Uri;
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n", context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: refused {RemoteAddress} ({Refusal}, subscriber {Imsi})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string remoteAddress, RefusalReason refusal, string? imsi);

    /// <summary>An upstream failure on an HTTP-upstream entry point (this one, the relay, TCP/UDP→HTTP): one message for all.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: subscriber {Imsi} → {Upstream}: {Reason}")]
    internal static partial void LogUpstreamFailed(ILogger logger, string entryPoint, string imsi, string upstream, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Beam {EntryPoint}: subscriber {Imsi} took none of the response for {Seconds} s; connection closed")]
    internal static partial void LogDeviceStalled(ILogger logger, string entryPoint, string imsi, int seconds);
}
