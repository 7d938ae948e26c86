using Microsoft.Extensions.Options;

namespace Gateway.Harvest;

/// <summary>
/// Deletes entries older than <see cref="HarvestOptions.RetentionDays"/> (counted from each entry's time, as SORACOM
/// counts), once at start and then every <see cref="HarvestOptions.RetentionIntervalMinutes"/>. Reads never filter by
/// age: what is past retention stays visible until the next pass, at most one interval later.
/// </summary>
internal sealed partial class HarvestRetention(IHarvestStore store, IOptions<HarvestOptions> options, TimeProvider time, ILogger<HarvestRetention> logger)
    : BackgroundService
{
    /// <summary>One pass: returns the entries deleted.</summary>
    public Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().AddDays(-options.Value.RetentionDays).ToUnixTimeMilliseconds();
        return store.DeleteOlderThanAsync(cutoff, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(options.Value.RetentionIntervalMinutes);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deleted = await RunOnceAsync(stoppingToken);
                if (deleted > 0)
                {
                    LogDeleted(logger, deleted, options.Value.RetentionDays);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next pass tries again; the data only stays a little longer.
                LogFailed(logger, e);
            }

            await Task.Delay(interval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Harvest: deleted {Count} entries older than {Days} days")]
    private static partial void LogDeleted(ILogger logger, int count, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harvest: the retention pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
