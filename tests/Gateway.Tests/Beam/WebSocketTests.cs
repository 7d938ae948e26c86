using System.Net;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Beam;

/// <summary>WebSocket through the website entry point to a real Kestrel WebSocket echo upstream.</summary>
public sealed class WebSocketTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private WebApplication _upstream = null!;
    private string? _seenImsi;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _upstream = builder.Build();
        _upstream.UseWebSockets();
        _upstream.Run(async c =>
        {
            if (c.Request.Path.StartsWithSegments("/plain"))
            {
                // A destination that is no WebSocket server: an ordinary 200 to the handshake.
                await c.Response.WriteAsync("plain");
                return;
            }

            if (!c.WebSockets.IsWebSocketRequest)
            {
                c.Response.StatusCode = 400;
                return;
            }

            _seenImsi = c.Request.Headers["x-soracom-imsi"];
            using var ws = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await ws.SendAsync(Encoding.UTF8.GetBytes($"echo {c.Request.Path}:" + Encoding.UTF8.GetString(buffer, 0, r.Count)), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        });
        await _upstream.StartAsync(TestContext.Current.CancellationToken);
        var up = new Uri(_upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var closed = GatewayProcess.ClosedPort();
        var seed = $$"""
            { "groups": [ { "groupId": "g-web", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:18080": { "destination": "http://127.0.0.1:{{up.Port}}/base", "addSubscriberHeader": true } } } },
                          { "groupId": "g-down", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:18080": { "destination": "http://127.0.0.1:{{closed}}/" } } } },
                          { "groupId": "g-plain", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:18080": { "destination": "http://127.0.0.1:{{up.Port}}/plain" } } } } ],
              "subscribers": [ { "imsi": "440101234567051", "groupId": "g-web", "ipAddress": "127.0.0.1" },
                               { "imsi": "440101234567053", "groupId": "g-down", "ipAddress": "127.0.0.53" },
                               { "imsi": "440101234567054", "groupId": "g-plain", "ipAddress": "127.0.0.54" } ] }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:Beam:WebSocketIdleSeconds", "3");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary>A WebSocket to the website port at <paramref name="path"/>, after one message echoed through it.</summary>
    private async Task<ClientWebSocket> ConnectAndEchoAsync(string path, string text)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_gateway.WebsitePort}{path}"), TestContext.Current.CancellationToken);
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var buffer = new byte[1024];
        var r = await ws.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal($"echo /base{path}:{text}", Encoding.UTF8.GetString(buffer, 0, r.Count));
        return ws;
    }

    [Fact]
    public async Task Websocket_is_relayed_with_identity_and_closes_cleanly()
    {
        using var ws = await ConnectAndEchoAsync("/live", "hello");
        Assert.Equal("440101234567051", _seenImsi);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketState.Closed, ws.State);
    }

    [Fact]
    public async Task Websocket_with_no_message_for_the_idle_time_is_dropped()
    {
        using var ws = await ConnectAndEchoAsync("/quiet", "hi");
        var buffer = new byte[1024];

        // Then silence both ways: dropped after the idle time (3 s here), without a close handshake.
        var idle = System.Diagnostics.Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(15));
        await Assert.ThrowsAsync<WebSocketException>(async () => await ws.ReceiveAsync(buffer, limit.Token));
        Assert.InRange(idle.Elapsed, TimeSpan.FromMilliseconds(2500), TimeSpan.FromSeconds(12));
    }

    [Theory]
    [InlineData("127.0.0.53")] // the upstream refuses the connection
    [InlineData("127.0.0.54")] // the upstream answers 200, not 101
    public async Task Websocket_the_upstream_does_not_take_is_refused_with_502_before_the_upgrade(string device)
    {
        // The device is told apart by its source address, so connect from its own.
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(device), 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var ws = new ClientWebSocket();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_gateway.WebsitePort}/live"), invoker, TestContext.Current.CancellationToken));
        Assert.Contains("502", error.Message, StringComparison.Ordinal);
    }
}
