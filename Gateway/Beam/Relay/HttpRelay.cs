using System.Net;
using System.Runtime.CompilerServices;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gateway.Beam.Relay;

/// <summary>
/// The HTTP and website entry points' fast path: a Kestrel connection middleware that reads HTTP/1.1 requests
/// straight off the device's connection and relays them over pooled plain upstream connections, writing the
/// upstream request and relaying the response as bytes, without Kestrel's HTTP layer or HttpClient. It serves the
/// common case (a known device, a plain-HTTP destination, a request with no body or a Content-Length body) and
/// hands the connection to Kestrel, at a request boundary, for anything else: an unknown device or path, TLS or
/// RFC 9421 entries, chunked or expected bodies, upgrades, odd targets, HTTP/1.0. That path (BeamHttpEntryPoint)
/// answers exactly as before, so behaviour does not depend on which path served a request.
/// </summary>
internal sealed class HttpRelay(
    IdentityResolver resolver, UpstreamPool pool, TimeProvider time, IOptions<BeamOptions> options, ILogger<HttpRelay> logger,
    Health.DestinationHealthBoard? health = null) : IDisposable
{
    /// <summary>The largest request head relayed; a larger one goes to Kestrel, which answers 431 (its limit is the same).</summary>
    public const int MaxRequestHeadBytes = 32 * 1024;

    /// <summary>The largest upstream response head accepted; a larger one is answered 502.</summary>
    public const int MaxResponseHeadBytes = 64 * 1024;

    /// <summary>A device connection with no request for this long is closed (Kestrel is given the same limit).</summary>
    internal TimeSpan KeepAliveTimeout { get; } = TimeSpan.FromSeconds(options.Value.KeepAliveSeconds);

    /// <summary>From a request's first byte, the time its head may take to arrive whole (Kestrel is given the same limit).</summary>
    internal TimeSpan RequestHeadersTimeout { get; } = TimeSpan.FromSeconds(options.Value.RequestHeadersTimeoutSeconds);

    private readonly ConditionalWeakTable<BeamEntry, RelayTarget> _targets = [];
    private readonly RelayDeadlines _deadlines = new();

    // Made once: a lambda over the pool written at the call would be a new delegate per request.
    private readonly ConditionalWeakTable<BeamEntry, RelayTarget>.CreateValueCallback _newTarget = e => new RelayTarget(e.Destination, pool, health);

    internal IdentityResolver Resolver => resolver;

    internal TimeProvider Time => time;

    internal long MaxBodyBytes => options.Value.MaxBodyBytes;

    internal ILogger Logger => logger;

    /// <summary>The middleware for a device port: <paramref name="website"/> keeps the device's path and query.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> Middleware(bool website) =>
        kestrel => connection => ServeAsync(connection, kestrel, website);

    internal RelayTarget TargetFor(BeamEntry entry) => _targets.GetValue(entry, _newTarget);

    public void Dispose() => _deadlines.Dispose();

    private async Task ServeAsync(ConnectionContext connection, ConnectionDelegate kestrel, bool website)
    {
        if (connection.RemoteEndPoint is not IPEndPoint remote)
        {
            await kestrel(connection);
            return;
        }

        bool handOver;
        using (var session = new RelayConnection(this, connection.Transport, connection.Abort, pool, remote, website))
        {
            _deadlines.Add(session);
            try
            {
                handOver = await session.RunAsync();
            }
            finally
            {
                _deadlines.Remove(session);
            }
        }

        if (handOver)
        {
            await kestrel(connection);
        }
    }
}
