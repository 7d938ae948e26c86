using Gateway.Diagnostics;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Metadata;

/// <summary>
/// An unknown device hammering the metadata service or Endorse gets its 403 every time, but its refusals are logged a
/// few times per window, as on every other device port: a flood cannot fill the log.
/// </summary>
public sealed class RefusalLogLimitTests
{
    private const string Unknown = "127.0.0.29";

    [Theory]
    [InlineData("metadata.soracom.io", "/v1/subscriber", "Gateway.Metadata")]
    [InlineData("endorse.soracom.io", "/", "Gateway.Endorse")]
    public async Task Refusals_of_an_unknown_device_are_logged_a_few_times_per_window(string host, string path, string category)
    {
        var capture = new LogCapture();
        await using var gateway = new GatewayProcess { ConfigureServices = s => s.AddSingleton<ILoggerProvider>(capture) };
        // Both services log a refusal at Information.
        await gateway.StartAsync("--Logging:LogLevel:Default", "Information");

        const int Requests = 3 * LogRateLimiter.DefaultPerSource;
        for (var i = 0; i < Requests; i++)
        {
            var (status, _, _) = await Curl.RunAsync(Unknown, "-H", $"Host: {host}", $"http://127.0.0.1:{gateway.DeviceHttpPort}{path}");
            Assert.Equal(403, status);
        }

        var logged = capture.Lines.Count(l => l.Category.StartsWith(category, StringComparison.Ordinal) && l.Message.Contains(Unknown, StringComparison.Ordinal));
        Assert.InRange(logged, 1, LogRateLimiter.DefaultPerSource);
    }
}
