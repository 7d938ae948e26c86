using Gateway.Beam.Forwarding;
using Gateway.Registry;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Beam;

/// <summary>
/// The HTTP entry point (:8888, one destination per configured path, query dropped) and the website entry point
/// (:18080, the device's path and query appended to the destination). Both resolve the device from its source
/// address, strip anything the device sent as <c>x-soracom-*</c>, add the group's headers and stream the request
/// and the response through YARP's forwarder and the pooled client. This is the Kestrel path: it serves what the
/// byte-level relay (<c>Relay/HttpRelay</c>) hands over, and everything when the relay is off.
/// </summary>
internal sealed partial class BeamHttpEntryPoint(
    IdentityResolver resolver, BeamHttpClient client, IHttpForwarder forwarder, TimeProvider time, ILogger<BeamHttpEntryPoint> logger, Microsoft.Extensions.Options.IOptions<BeamOptions> options,
    Health.DestinationHealthBoard? health = null)
    : IDisposable
{
    // Each entry's health tracker, looked up once per compiled entry (as the relay's RelayTarget does).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BeamEntry, Health.DestinationTracker> _trackers = [];

    // Made once: a lambda written at the lookup would be a new delegate per request.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BeamEntry, Health.DestinationTracker>.CreateValueCallback _newTracker =
        e => health!.Tracker("Beam", "http", Health.DestinationHealthBoard.Name(e.Destination));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, ForwarderRequestConfig> _configs = new();

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

    /// <summary>
    /// Forwards through YARP's <see cref="IHttpForwarder"/> with the entry's pooled client (one per TLS profile, whose
    /// connect goes through <see cref="UpstreamResolver"/> and the descriptor budget). The entry's timeout is the
    /// forwarder's activity timeout: it bounds each wait (for the upstream's head, for the next bytes of either body,
    /// for the device to take a write), so a slow but healthy upload or download is never cut off (hardening #13).
    /// </summary>
    private async Task ForwardAsync(HttpContext context, string name, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, Uri target)
    {
        byte[]? buffered = null;
        if (entry.MessageSigner is not null && HasBody(context))
        {
            // The digest must be in the headers, so the body is read first (bounded).
            buffered = await Pipeline.BoundedBody.ReadAsync(context.Request.Body, MaxSignedBodyBytes, context.RequestAborted, context.Request.ContentLength);
            if (buffered is null)
            {
                BeamMetrics.Count(name, "too_large");
                await TextAsync(context, StatusCodes.Status413PayloadTooLarge, $"body over {MaxSignedBodyBytes} bytes cannot be signed");
                return;
            }

            // The forwarder reads the request's body: it is now the bytes read, sent with their length, as hashed.
            context.Request.Body = new MemoryStream(buffered, writable: false);
            context.Request.Headers.Remove("Transfer-Encoding");
            context.Request.Headers.ContentLength = buffered.Length;
        }

        if (context.Request.Headers.Upgrade.Count > 0)
        {
            // Only the website port's WebSockets are upgraded (ConnectWebSocketAsync); anything else with an Upgrade
            // header is an ordinary request, as before YARP, which would otherwise forward the upgrade.
            context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>(null);
        }

        var transformer = new BeamTransformer(target, entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds()) { EntryPoint = name, BufferedBody = buffered };
        var invoker = client.For(config.TlsFor(entry, device.Subscriber!.Imsi));
        var error = await forwarder.SendAsync(context, Prefix(target), invoker, RequestConfig(entry.Timeout), transformer, CancellationToken.None);
        await FinishAsync(context, name, device, transformer, error, connectTimedOut: false);
    }

    /// <summary>
    /// The website port's WebSocket: the handshake is forwarded with Beam's headers, and on the upstream's 101 YARP
    /// upgrades the device's connection and copies bytes both ways, so frames and closes pass unchanged. The entry's
    /// timeout bounds the handshake (a timer of its own); afterwards the activity timeout is the WebSocket idle time
    /// (<see cref="BeamOptions.WebSocketIdleSeconds"/>), restarted by traffic either way.
    /// </summary>
    private async Task ConnectWebSocketAsync(HttpContext context, DeviceIdentity device, BeamGroupConfig config, BeamEntry entry, Uri target)
    {
        const string name = "websocket";
        using var connectTimer = new CancellationTokenSource(entry.Timeout);
        var transformer = new BeamTransformer(target, entry, config, device, time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            EntryPoint = name, IsWebSocket = true, ConnectTimer = connectTimer,
        };
        var invoker = client.For(config.TlsFor(entry, device.Subscriber!.Imsi));
        var idle = RequestConfig(TimeSpan.FromSeconds(options.Value.WebSocketIdleSeconds));
        var error = await forwarder.SendAsync(context, Prefix(target), invoker, idle, transformer, connectTimer.Token);
        await FinishAsync(context, name, device, transformer, error, connectTimedOut: connectTimer.IsCancellationRequested);
    }

    private async Task FinishAsync(HttpContext context, string name, DeviceIdentity device, BeamTransformer transformer, ForwarderError error, bool connectTimedOut)
    {
        if (transformer.UpstreamRefusedWebSocket)
        {
            var refused = new UpstreamFailure(502, "upstream did not accept the WebSocket", "upstream_not_websocket");
            Tracker(transformer.Entry)?.Failed(time.GetUtcNow().ToUnixTimeMilliseconds(), refused.Reason);
            LogUpstreamFailed(logger, name, device.Label, transformer.Target.GetLeftPart(UriPartial.Authority), refused.Reason);
            BeamMetrics.Count(name, refused.Metric);
            await TextAsync(context, refused.Status, refused.Reason);
            return;
        }

        if (error == ForwarderError.None || context.Response.HasStarted || IsUpgraded(error))
        {
            // The upstream's head came (what happened to the body after it is the counters' business, as on the relay).
            Tracker(transformer.Entry)?.Answered(time.GetUtcNow().ToUnixTimeMilliseconds(), context.Response.StatusCode);
        }

        if (error == ForwarderError.None)
        {
            BeamMetrics.Count(name, "ok");
            return;
        }

        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (context.Response.HasStarted || IsUpgraded(error))
        {
            // The head is already sent; the forwarder has cut the device's response short.
            var stalled = transformer.DeviceStalled;
            BeamMetrics.Count(name, IsUpgraded(error) ? "ok" : stalled ? "device_write_timeout" : "upstream_body_failed");
            if (stalled)
            {
                LogDeviceStalled(logger, name, device.Label, (int)transformer.Entry.Timeout.TotalSeconds);
            }

            return;
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // The device went away: nobody to answer.
            return;
        }

        await ReplyFailedAsync(context, name, device, transformer, exception, connectTimedOut || TimedOut(error, exception));
    }

    private async Task ReplyFailedAsync(HttpContext context, string name, DeviceIdentity device, BeamTransformer transformer, Exception? exception, bool timedOut)
    {
        context.Response.Clear();
        if (DeviceBodyFault(exception) is { } bad)
        {
            if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                BeamMetrics.Count(name, "too_large");
                await TextAsync(context, StatusCodes.Status413PayloadTooLarge, "request body too large");
                return;
            }

            // The device's body was malformed (an invalid chunk size): its fault, answered as Kestrel answers a
            // malformed request, 400 and the connection closed, not a 502 blaming the upstream.
            BeamMetrics.Count(name, "bad_request");
            context.Response.Headers.Connection = "close";
            await TextAsync(context, bad.StatusCode, "malformed request body");
            return;
        }

        var failure = UpstreamFailure.Classify(exception ?? new HttpRequestException(), transformer.Entry.Timeout, timedOut);
        LogUpstreamFailed(logger, name, device.Label, transformer.Target.GetLeftPart(UriPartial.Authority), failure.Reason);
        BeamMetrics.Count(name, failure.Metric);
        Tracker(transformer.Entry)?.Failed(time.GetUtcNow().ToUnixTimeMilliseconds(), failure.Reason);

        // As on the relay: a body not read to its end leaves the connection out of step, so it closes after the
        // reply (said in the reply, rather than Kestrel waiting for the rest and closing later).
        if (BodyLeftUnread(context))
        {
            context.Response.Headers.Connection = "close";
        }

        await TextAsync(context, failure.Status, failure.Reason);
    }

    private Health.DestinationTracker? Tracker(BeamEntry entry) =>
        health is null ? null : _trackers.GetValue(entry, _newTracker);

    /// <summary>
    /// Whether the entry's timeout ran out: the forwarder's own timeout, or any cancellation the device did not cause
    /// (the activity timer firing while the device's body was awaited) other than the handler's 10 s connect timeout.
    /// </summary>
    private static bool TimedOut(ForwarderError error, Exception? exception)
    {
        var cancelled = false;
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is TimeoutException)
            {
                return false;
            }

            cancelled |= inner is OperationCanceledException;
            if (inner is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(e => TimedOut(error, e));
            }
        }

        return error == ForwarderError.RequestTimedOut || cancelled;
    }

    private static bool IsUpgraded(ForwarderError error) => error is ForwarderError.UpgradeActivityTimeout
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeRequestDestination
        or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient or ForwarderError.UpgradeResponseDestination;

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;

    // The forwarder wants a prefix for its logs and checks; the transformer sets the whole target itself.
    private static string Prefix(Uri target) => target.GetLeftPart(UriPartial.Authority);

    /// <summary>One configuration per distinct timeout (a handful: they come from the registry's entries).</summary>
    private ForwarderRequestConfig RequestConfig(TimeSpan activityTimeout) =>
        _configs.GetOrAdd(activityTimeout, static t => new ForwarderRequestConfig
        {
            ActivityTimeout = t,
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        });

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
    private static BadHttpRequestException? DeviceBodyFault(Exception? e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case BadHttpRequestException bad:
                    return bad;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(DeviceBodyFault).FirstOrDefault(b => b is not null);
                default:
                    break;
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
