using System.Diagnostics;
using System.Net;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Beam.Forwarding;

/// <summary>
/// One request's transforms for YARP's forwarder: the upstream request goes to <see cref="Target"/> with the device's
/// headers minus those Beam never relays (<see cref="BeamHeaders.IsDropped"/>), then Beam's own headers; the response
/// head comes back minus hop-by-hop headers. One per request, because it carries that request's device and entry,
/// and what the entry point needs to know afterwards (when the head arrived, whether the device stalled).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stall tracker wraps the response body for the request's life; Kestrel ends the body, nothing here owns it.")]
internal sealed class BeamTransformer(Uri target, BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, long timestampMs) : HttpTransformer
{
    private long _sent;
    private StallTrackingStream? _responseBody;

    public Uri Target => target;

    public BeamEntry Entry => entry;

    public string EntryPoint { get; init; } = BeamHttpEntryPoint.HttpName;

    /// <summary>
    /// The device's body, read whole before forwarding because the RFC 9421 option must hash it; else null. The
    /// request's body is then this copy (<see cref="BeamHttpEntryPoint"/>): YARP refuses a replaced upstream content.
    /// </summary>
    public byte[]? BufferedBody { get; init; }

    /// <summary>A WebSocket handshake: anything but 101 from the upstream is refused with 502.</summary>
    public bool IsWebSocket { get; init; }

    /// <summary>Set when a WebSocket handshake got something other than 101 from the upstream.</summary>
    public bool UpstreamRefusedWebSocket { get; private set; }

    /// <summary>The WebSocket handshake's timer (the entry's timeout), disarmed when the upstream's response head arrives.</summary>
    public CancellationTokenSource? ConnectTimer { get; init; }

    /// <summary>Whether the response body stopped on a write the device had not taken for the entry's timeout.</summary>
    public bool DeviceStalled => _responseBody?.StalledFor(entry.Timeout) == true;

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        proxyRequest.RequestUri = target;
        CopyRequestHeaders(httpContext.Request.Headers, proxyRequest);
        BeamHeaders.Apply(proxyRequest, entry, config, device, timestampMs, BufferedBody ?? []);
        _sent = Stopwatch.GetTimestamp();
        return ValueTask.CompletedTask;
    }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            // The forwarder failed; the entry point writes the reply.
            return ValueTask.FromResult(false);
        }

        BeamMetrics.UpstreamDuration(EntryPoint, Stopwatch.GetElapsedTime(_sent));
        ConnectTimer?.CancelAfter(Timeout.InfiniteTimeSpan);
        if (IsWebSocket && proxyResponse.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            UpstreamRefusedWebSocket = true;
            return ValueTask.FromResult(false);
        }

        // Kestrel's own reason phrase, as before the forwarder was YARP's (the relay's replies are held to these).
        httpContext.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = null;
        CopyResponseHeaders(proxyResponse, httpContext.Response);
        if (proxyResponse.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            _responseBody = new StallTrackingStream(httpContext.Response.Body);
            httpContext.Response.Body = _responseBody;
        }

        return ValueTask.FromResult(true);
    }

    private static void CopyRequestHeaders(IHeaderDictionary headers, HttpRequestMessage proxyRequest)
    {
        foreach (var (header, values) in headers)
        {
            if (BeamHeaders.IsDropped(header))
            {
                continue;
            }

            // Content headers go with the content, when there is one (as HttpClient requires); single values (nearly
            // all) go in as a string: no enumerator, no array.
            System.Net.Http.Headers.HttpHeaders? target = BeamHeaders.IsContentHeader(header) ? proxyRequest.Content?.Headers : proxyRequest.Headers;
            if (values.Count == 1)
            {
                target?.TryAddWithoutValidation(header, values.ToString());
            }
            else
            {
                target?.TryAddWithoutValidation(header, (IEnumerable<string?>)values);
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
}
