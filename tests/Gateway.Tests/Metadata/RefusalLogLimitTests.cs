using System.Collections.Concurrent;
using Gateway.Diagnostics;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
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
        var capture = new Capture();
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

    private sealed class Capture : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Message)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(Capture owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue((category, formatter(state, exception)));
        }
    }
}
