using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// A small Kestrel server on 127.0.0.1 standing in for Pub/Sub where the emulator cannot (throttling, a slow answer,
/// refusals, the token endpoint), answering in the REST API's published shapes; HTTPS when given a certificate.
/// </summary>
internal sealed class TestPeer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestPeer(WebApplication app, string root)
    {
        _app = app;
        Root = root;
    }

    /// <summary><c>http(s)://127.0.0.1:PORT</c>.</summary>
    public string Root { get; }

    /// <summary>
    /// Starts a peer. Plain HTTP speaks HTTP/1.1, or HTTP/2 only (h2c, as gRPC to an emulator) when
    /// <paramref name="http2"/>; HTTPS offers both by ALPN.
    /// </summary>
    public static async Task<TestPeer> StartAsync(Action<WebApplication> map, X509Certificate2? certificate = null, bool http2 = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            if (certificate is not null)
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificate);
            }
            else if (http2)
            {
                l.Protocols = HttpProtocols.Http2;
            }
        }));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestPeer(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
