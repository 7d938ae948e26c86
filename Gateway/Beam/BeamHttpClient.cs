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
    /// <summary>A TLS profile's client unused this long is dropped (per-SIM certificates make one per SIM).</summary>
    public static readonly TimeSpan ProfileIdle = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Profile> _tls = new(StringComparer.Ordinal);
    private readonly Timer _sweep;

    public BeamHttpClient()
    {
        Invoker = Create(null);
        _sweep = new Timer(static s => ((BeamHttpClient)s!).Sweep(Environment.TickCount64), this, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>The TLS profiles' clients held now.</summary>
    public int ProfileCount => _tls.Count;

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The client for an entry: the shared one, or one per TLS profile (private CA, client certificate).</summary>
    public HttpMessageInvoker For(BeamEntry entry) => For(entry.Tls);

    /// <summary>The client for a TLS profile (per subscriber when the entry has per-SIM certificates).</summary>
    public HttpMessageInvoker For(UpstreamTls? tls)
    {
        if (tls is null)
        {
            return Invoker;
        }

        var profile = _tls.GetOrAdd(tls.Key, static (_, t) => new Profile(Create(t)), tls);
        Volatile.Write(ref profile.LastUsed, Environment.TickCount64);
        return profile.Invoker;
    }

    public void Dispose()
    {
        _sweep.Dispose();
        Invoker.Dispose();
        foreach (var profile in _tls.Values)
        {
            profile.Invoker.Dispose();
        }
    }

    /// <summary>
    /// Drops the clients of profiles unused for <see cref="ProfileIdle"/>, and disposes each a further
    /// <see cref="ProfileIdle"/> later: longer than any entry's timeout, so a request that took the client just before
    /// it was dropped has finished with it. Before this, a client per SIM certificate was kept for ever.
    /// </summary>
    internal void Sweep(long now)
    {
        foreach (var (key, profile) in _tls)
        {
            if (now - Volatile.Read(ref profile.LastUsed) >= ProfileIdle.TotalMilliseconds && _tls.TryRemove(new(key, profile)))
            {
                _ = Task.Delay(ProfileIdle).ContinueWith(static (_, invoker) => ((HttpMessageInvoker)invoker!).Dispose(), profile.Invoker, TaskScheduler.Default);
            }
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

    private sealed class Profile(HttpMessageInvoker invoker)
    {
        public readonly HttpMessageInvoker Invoker = invoker;
        public long LastUsed = Environment.TickCount64;
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
