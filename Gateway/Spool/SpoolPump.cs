using System.Collections.Concurrent;

namespace Gateway.Spool;

/// <summary>
/// Moves a spool's records to their destination in the background: up to <see cref="SpoolOptions.MaxInFlight"/> at once,
/// each retried with exponential backoff (base <see cref="SpoolOptions.RetryBaseDelayMilliseconds"/>, doubling, capped at
/// <see cref="SpoolOptions.RetryMaxDelayMilliseconds"/>, times a random factor in [0.5, 1]) until it is delivered, refused
/// for good, or older than <see cref="SpoolOptions.MaxAgeHours"/>. A record waiting to retry keeps its slot, so a
/// destination that is down holds at most MaxInFlight records in memory; the rest wait on disk.
/// </summary>
internal sealed partial class SpoolPump(DurableSpool spool, ISpoolConsumer consumer, SpoolOptions options, TimeProvider time, ILogger<SpoolPump> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<SpoolRecord, bool> _running = new();
    private readonly KeyValuePair<string, object?> _tag = SpoolMetrics.Tag(spool.Name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(options.MaxInFlight);
        try
        {
            while (true)
            {
                await slots.WaitAsync(stoppingToken);
                if (await spool.ReadAsync(stoppingToken) is not { } record)
                {
                    break;
                }

                _running[record] = true;
                _ = DeliverAsync(record, slots, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: attempts under way finish (each within its destination's own deadline, and the host's shutdown
        // grace); records waiting to retry stop waiting and stay in the spool for the next start.
        while (!_running.IsEmpty)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task DeliverAsync(SpoolRecord record, SemaphoreSlim slots, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            while (await AttemptAsync(record) == SpoolOutcome.Retry)
            {
                if (spool.Expired(record.TimestampMs))
                {
                    spool.Complete(record, "expired");
                    return;
                }

                SpoolMetrics.Retried.Add(1, _tag);
                record.Attempts++;
                await Task.Delay(Backoff(record.Attempts), time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Left in the spool: delivered after the restart.
        }
        finally
        {
            _running.TryRemove(record, out _);
            slots.Release();
        }
    }

    private async Task<SpoolOutcome> AttemptAsync(SpoolRecord record)
    {
        SpoolOutcome outcome;
        try
        {
            // Not cancelled at shutdown: an attempt under way is allowed to finish, so it is not sent twice.
            outcome = await consumer.DeliverAsync(record, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogAttemptThrew(logger, spool.Name, e.GetType().Name);
            outcome = SpoolOutcome.Retry;
        }

        switch (outcome)
        {
            case SpoolOutcome.Delivered:
                spool.Complete(record);
                break;
            case SpoolOutcome.Permanent:
                spool.Complete(record, "permanent");
                break;
            case SpoolOutcome.Unconfigured:
                spool.Complete(record, "unconfigured");
                break;
        }

        return outcome;
    }

    private TimeSpan Backoff(int attempts)
    {
        var delay = Math.Min(options.RetryMaxDelayMilliseconds, options.RetryBaseDelayMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30)));
        return TimeSpan.FromMilliseconds(delay * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool {Spool}: a delivery attempt threw {ExceptionType}; retried")]
    private static partial void LogAttemptThrew(ILogger logger, string spool, string exceptionType);
}
