using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Beam;

/// <summary>
/// The pooled upstream client every HTTP-upstream entry point shares: connections are kept and reused across
/// devices, redirects and cookies are never followed or kept (a proxy relays them), certificates are checked
/// against the system store.
/// </summary>
internal sealed class BeamHttpClient : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _tls = new(StringComparer.Ordinal);

    public BeamHttpClient()
    {
        Invoker = Create(null);
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The client for an entry: the shared one, or one per TLS profile (private CA, client certificate).</summary>
    public HttpMessageInvoker For(BeamEntry entry) => For(entry.Tls);

    /// <summary>The client for a TLS profile (per subscriber when the entry has per-SIM certificates).</summary>
    public HttpMessageInvoker For(UpstreamTls? tls) =>
        tls is null ? Invoker : _tls.GetOrAdd(tls.Key, static (_, profile) => Create(profile), tls);

    public void Dispose()
    {
        Invoker.Dispose();
        foreach (var invoker in _tls.Values)
        {
            invoker.Dispose();
        }
    }

    /// <summary>
    /// Connects through <see cref="UpstreamResolver"/> (shared, bounded, cached lookups) to each address in turn, as
    /// the handler's own connect would, so that a name that resolves slowly costs its own requests only.
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await UpstreamResolver.Shared.ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            Hosting.DescriptorBudget.ThrowIfOver(socket);
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static HttpMessageInvoker Create(UpstreamTls? tls)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxConnectionsPerServer = 1024,
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectAsync,
        };
        tls?.Apply(handler.SslOptions);
        return new HttpMessageInvoker(handler);
    }
}
