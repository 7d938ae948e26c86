using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Metrics;

/// <summary>
/// ASP.NET Core's per-request information lines are off by default on the device ports (the host's own defaults,
/// with no appsettings.json), the gateway's refusal lines stay, and an operator can turn the request lines back on.
/// </summary>
public sealed class RequestLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_lines_are_off_by_default_and_refusals_are_logged()
    {
        var lines = await RunAsync();
        Assert.Contains(lines, static l => l.Category == "Microsoft.Hosting.Lifetime" && l.Level == LogLevel.Information);
        Assert.Contains(lines, static l => l.Category.StartsWith("Gateway.Devices", StringComparison.Ordinal) && l.Message.Contains("127.0.0.23", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, static l => l.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, static l => l.Category.StartsWith("Microsoft.AspNetCore.Routing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_can_turn_them_back_on()
    {
        var lines = await RunAsync("--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Information");
        Assert.Contains(lines, static l => l.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && l.Message.Contains("Request starting", StringComparison.Ordinal));
    }

    /// <summary>A gateway at Information, one request from an unknown device to the device HTTP port, and what it logged.</summary>
    private static async Task<List<(string Category, LogLevel Level, string Message)>> RunAsync(params string[] args)
    {
        var capture = new LogCapture();
        var gateway = new GatewayProcess { ConfigureServices = s => s.AddSingleton<ILoggerProvider>(capture) };
        await using (gateway)
        {
            await gateway.StartAsync(["--Logging:LogLevel:Default", "Information", .. args]);
            var (status, _, _) = await Curl.RunAsync(
                "127.0.0.23", "-X", "POST", "-H", "Host: funnel.soracom.io", "-H", "Content-Type: application/json", "--data-binary", "{}",
                $"http://127.0.0.1:{gateway.DeviceHttpPort}/");
            Assert.Equal(403, status);
            await Task.Delay(200, Ct);
        }

        return [.. capture.Lines];
    }
}
