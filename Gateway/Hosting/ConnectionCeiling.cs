using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Hosting;

/// <summary>
/// <c>Gateway:Beam:MaxConnections</c> on one Kestrel listener, counted here in place of Kestrel's own limit
/// (<c>MaxConcurrentConnections</c>, which also counts each listener on its own). Kestrel's keeps, for as long as each connection lives, an async state machine,
/// a releaser and a feature-list entry (≈ 0.3 KiB per idle connection, on every port); this keeps one continuation
/// (≈ 0.1 KiB), and nothing for a connection whose handler finished at once. Over the limit a new connection is
/// closed at once, as Kestrel did. The relay's event loops count their own connections (<c>LoopGroup</c>).
/// </summary>
internal sealed partial class ConnectionCeiling(long max, ILogger logger) : IDisposable
{
    private static readonly Meter s_meter = new(DescriptorBudget.MeterName);
    private static readonly Counter<long> s_rejected = s_meter.CreateCounter<long>(
        "gateway.connections.rejected", description: "Connections to a Kestrel listener closed at accept because Gateway:Beam:MaxConnections were open on it.");

    private static readonly Action<Task, object?> s_release = static (handled, state) =>
    {
        Interlocked.Decrement(ref ((ConnectionCeiling)state!)._open);

        // The handler's own outcome (an exception for Kestrel to log) passes through.
        handled.GetAwaiter().GetResult();
    };

    private readonly Diagnostics.LogRateLimiter _log = new(logger, "connections refused over Gateway:Beam:MaxConnections");
    private long _open;

    /// <summary>Connections open now on the listener.</summary>
    public long Open => Volatile.Read(ref _open);

    /// <summary>Runs <paramref name="next"/> for the connection when fewer than the limit are open; otherwise closes it.</summary>
    public Task Run(ConnectionDelegate next, ConnectionContext connection)
    {
        if (Interlocked.Increment(ref _open) > max)
        {
            Interlocked.Decrement(ref _open);
            s_rejected.Add(1);
            if (_log.Allow("limit"))
            {
                LogRejected(logger, connection.LocalEndPoint?.ToString() ?? "?", max);
            }

            connection.Abort();
            return Task.CompletedTask;
        }

        Task handled;
        try
        {
            handled = next(connection);
        }
        catch
        {
            Interlocked.Decrement(ref _open);
            throw;
        }

        if (handled.IsCompleted)
        {
            Interlocked.Decrement(ref _open);
            return handled;
        }

        return handled.ContinueWith(s_release, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Stops the log limiter's window timer (the ceiling itself lives as long as its listener).</summary>
    public void Dispose() => _log.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A connection to {EndPoint} was closed at once: {Max} connections are open (Gateway:Beam:MaxConnections)")]
    private static partial void LogRejected(ILogger logger, string endPoint, long max);
}
