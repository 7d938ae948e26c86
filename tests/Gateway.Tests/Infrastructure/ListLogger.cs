using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>A logger that keeps each formatted line, for tests that count or read log lines.</summary>
internal class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add(formatter(state, exception));
        }
    }
}

/// <summary>A <see cref="ListLogger"/> for a class that takes its typed logger.</summary>
internal sealed class ListLogger<T> : ListLogger, ILogger<T>;
