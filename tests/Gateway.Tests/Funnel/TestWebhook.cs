using System.Collections.Concurrent;
using System.Net;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Funnel;

/// <summary>
/// A customer's webhook on loopback (Kestrel): records every request with its headers and exact body bytes, checks
/// the SORACOM signature with the project's verifier (replay protection on, as a careful backend runs it), and
/// answers from a script of statuses (then 200), optionally after a delay.
/// </summary>
internal sealed class TestWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script = new();

    private TestWebhook(WebApplication app) => _app = app;

    public ConcurrentQueue<WebhookRequest> Requests { get; } = new();

    public TimeSpan Delay { get; set; }

    /// <summary>When set, every request is answered with this status (a destination that is down until told otherwise).</summary>
    public int? FailWith { get; set; }

    public int Port => new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    public void Answer(params int[] statuses)
    {
        foreach (var s in statuses)
        {
            _script.Enqueue(s);
        }
    }

    public static async Task<TestWebhook> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var hook = new TestWebhook(app);
        var verifier = new SoracomSignatureVerifier(new SoracomVerifierOptions { PreSharedKeys = { FunnelRegistry.Psk } });
        var messageVerifier = new HttpMessageSignatureVerifier(new MessageSignatureVerifierOptions { Keys = { ["k1"] = System.Text.Encoding.UTF8.GetBytes(FunnelRegistry.Psk) } });
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var headers = context.Request.Headers.ToDictionary(static h => h.Key.ToLowerInvariant(), static h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var signature = context.Request.Headers.ContainsKey("x-soracom-signature") ? verifier.Verify(context.Request.Headers) : null;
            var messageSignature = context.Request.Headers.TryGetValue("signature", out var rfc9421)
                ? messageVerifier.Verify(HttpMessageComponents.FromRequest(context.Request), context.Request.Headers["signature-input"], rfc9421)
                : null;
            hook.Requests.Enqueue(new WebhookRequest(context.Request.Path + context.Request.QueryString, headers, buffer.ToArray(), signature, messageSignature));
            if (hook.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(hook.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = hook.FailWith ?? (hook._script.TryDequeue(out var status) ? status : 200);
            await context.Response.WriteAsync("ok");
        });
        await app.StartAsync();
        return hook;
    }

    /// <summary>A loopback port nothing listens on (for a destination that is down).</summary>
    public static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record WebhookRequest(string Path, Dictionary<string, string> Headers, byte[] Body, SoracomVerificationResult? Signature, MessageSignatureVerificationResult? MessageSignature)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}
