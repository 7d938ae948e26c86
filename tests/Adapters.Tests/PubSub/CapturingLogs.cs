using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>Keeps every log line (formatted message and exception text) at every level, for secrecy checks.</summary>
internal sealed class CapturingLogs : ILoggerFactory, ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public string All => string.Join("\n", Lines);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel} {formatter(state, exception)} {exception}");
}
