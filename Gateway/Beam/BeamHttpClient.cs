using System.Net;

namespace Gateway.Beam;

/// <summary>
/// The pooled upstream client every HTTP-upstream entry point shares: connections are kept and reused across
/// devices, redirects and cookies are never followed or kept (a proxy relays them), certificates are checked
/// against the system store.
/// </summary>
internal sealed class BeamHttpClient : IDisposable
{
    public BeamHttpClient()
    {
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
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
        });
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
