using System.Collections.Concurrent;
using System.Net;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Metrics;

/// <summary><c>Gateway:Metrics:OtlpEndpoint</c>: the same metrics pushed to a collector (here a loopback HTTP peer taking OTLP http/protobuf).</summary>
public sealed class OtlpExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_are_pushed_to_the_collector_when_configured()
    {
        var bodies = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            bodies.Enqueue((context.Request.Path, context.Request.ContentType, buffer.ToArray()));
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        await collector.StartAsync(Ct);
        var address = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var gateway = new GatewayProcess();
        await gateway.StartAsync(
            "--Gateway:Metrics:OtlpEndpoint", address, "--Gateway:Metrics:OtlpProtocol", "http/protobuf", "--Gateway:Metrics:OtlpIntervalSeconds", "1");
        await Socat.RunAsync("x"u8.ToArray(), $"UDP:127.0.0.1:{gateway.UnifiedPort},bind=127.0.0.24", waitSeconds: 1);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!bodies.Any(static b => Contains(b.Body, "gateway.beam.messages")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        var push = Assert.Single(bodies.Where(static b => Contains(b.Body, "gateway.beam.messages")).Take(1));
        Assert.Equal("/v1/metrics", push.Path);
        Assert.Equal("application/x-protobuf", push.ContentType);
        Assert.True(Contains(push.Body, "refused_unknown_device"));
        Assert.False(Contains(push.Body, GatewayProcess.RootKey));

        // /metrics is still served beside it.
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(gateway.Url("/metrics"), Ct)).StatusCode);
    }

    [Fact]
    public async Task AspNetCore_request_metrics_only_when_asked_for()
    {
        foreach (var on in (bool[])[false, true])
        {
            await using var gateway = new GatewayProcess();
            await gateway.StartAsync("--Gateway:Metrics:HttpServerRequests", on ? "true" : "false");
            await Curl.RunAsync("127.0.0.25", "-X", "POST", "-H", "Host: funnel.soracom.io", "-H", "Content-Type: application/json", "--data-binary", "{}", $"http://127.0.0.1:{gateway.DeviceHttpPort}/");
            var scrape = PrometheusText.Parse(await gateway.Client.GetStringAsync(gateway.Url("/metrics"), Ct));
            Assert.Equal(on, scrape.Families.ContainsKey("http_server_request_duration_seconds"));
        }
    }

    [Theory]
    [InlineData("--Gateway:Metrics:OtlpEndpoint", "ftp://127.0.0.1/")]
    [InlineData("--Gateway:Metrics:OtlpProtocol", "udp")]
    [InlineData("--Gateway:Metrics:Path", "/v1/subscribers")]
    public async Task A_wrong_setting_refuses_the_start(string setting, string value)
    {
        await using var gateway = new GatewayProcess();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync(setting, value));
        Assert.Contains("exited with 2", e.Message, StringComparison.Ordinal);
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
}
