using System.Collections.Concurrent;
using System.Net;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Tests.Beam;

/// <summary>
/// A real Kestrel upstream on loopback that records every request (method, path, query, headers, body) and checks
/// the SORACOM signature with the Signing verifier, as a customer's backend would.
/// </summary>
internal sealed class RecordingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingUpstream(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>What the upstream answers: status and body (default 200, "pong").</summary>
    public (int Status, string Body) Reply { get; set; } = (200, "pong");

    public TimeSpan Delay { get; set; }

    public Uri BaseUri => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<RecordingUpstream> StartAsync(string psk = "topsecret")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new RecordingUpstream(app);
        var verifier = new SoracomSignatureVerifier(new SoracomVerifierOptions { PreSharedKeys = { psk }, ReplayProtection = false });
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(static h => h.Key.ToLowerInvariant(), static h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var verdict = context.Request.Headers.ContainsKey("x-soracom-signature") ? verifier.Verify(context.Request.Headers).Reason : null;
            upstream.Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body, verdict));
            if (upstream.Delay > TimeSpan.Zero)
            {
                await Task.Delay(upstream.Delay, context.RequestAborted);
            }

            context.Response.StatusCode = upstream.Reply.Status;
            context.Response.Headers["X-Upstream"] = "yes";
            await context.Response.WriteAsync(upstream.Reply.Body);
        });
        await app.StartAsync();
        return upstream;
    }

    public RecordedRequest Single()
    {
        Assert.Single(Requests);
        Requests.TryDequeue(out var r);
        return r!;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record RecordedRequest(string Method, string Path, string Query, Dictionary<string, string> Headers, string Body, string? SignatureVerdict);
