using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Tests.Aws;

/// <summary>Adapters made as the gateway makes them, messages, and a logger that keeps every line for secret checks.</summary>
internal static class AwsTestKit
{
    public const string Imsi = "001010000000001";

    public static readonly HttpMessageInvoker Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(2) });

    public static FunnelDestination Destination(string service, string resourceUrl, JsonObject? extra = null)
    {
        var settings = new JsonObject { ["provider"] = "aws", ["service"] = service, ["resourceUrl"] = resourceUrl };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value?.DeepClone();
        }

        return new FunnelDestination { Provider = "aws", Service = service, ResourceUrl = resourceUrl, Settings = settings };
    }

    public static IFunnelAdapter Create(IFunnelAdapterFactory factory, FunnelDestination destination, AdapterCredentials? credentials, KeepingLoggerProvider? logs = null)
    {
        var errors = new List<string>();
        factory.Validate(destination, "destination", errors);
        Assert.Empty(errors);
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs ?? new KeepingLoggerProvider()));
        return factory.Create(destination, credentials, new AdapterContext { LoggerFactory = loggers, Http = Http });
    }

    public static OutgoingMessage Message(string body, string? imsi = Imsi, string? target = null, string contentType = "application/json") => new()
    {
        Body = Encoding.UTF8.GetBytes(body),
        Key = imsi,
        Target = target,
        ContentType = contentType,
        MessageId = Guid.CreateVersion7().ToString(),
        Attributes = imsi is null ? [] : [new("imsi", imsi)],
        TimestampMs = 1_700_000_000_000,
    };

    public static async Task<DeliveryResult[]> SendAsync(IFunnelAdapter adapter, params OutgoingMessage[] batch)
    {
        var results = new DeliveryResult[batch.Length];
        await adapter.SendAsync(batch, results, TestContext.Current.CancellationToken);
        return results;
    }
}

/// <summary>Keeps every formatted log line (with its exception), so tests can assert that no secret was written.</summary>
internal sealed class KeepingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Keeping(this);

    public void Dispose()
    {
    }

    private sealed class Keeping(KeepingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");
    }
}
