using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Gateway.Harvest;

/// <summary>
/// The one writer between the devices and the store: messages queue in a bounded channel, and a background loop
/// writes whatever has gathered (up to <see cref="HarvestOptions.MaxBatchSize"/>) in one transaction, then completes
/// each message's task. A device is answered only after that commit, so nothing acknowledged is lost; one commit per
/// batch rather than per message is what lets ingest keep up with the UDP entry point. A full queue is an explicit
/// refusal (the service answers 503), never unbounded memory.
/// </summary>
internal sealed partial class HarvestWriter : BackgroundService
{
    private readonly IHarvestStore _store;
    private readonly ILogger<HarvestWriter> _logger;
    private readonly int _maxBatch;
    private readonly Channel<Pending> _queue;

    private readonly Health.DestinationHealthBoard? _health;

    public HarvestWriter(IHarvestStore store, IOptions<HarvestOptions> options, ILogger<HarvestWriter> logger, Health.DestinationHealthBoard? health = null)
    {
        _health = health;
        _store = store;
        _logger = logger;
        _maxBatch = options.Value.MaxBatchSize;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues the entries; the task completes once they are committed (or faults). Null when the queue is full.</summary>
    public Task? TryEnqueue(HarvestEntry[] entries)
    {
        var pending = new Pending(entries, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : null;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before any listener accepts a device or an API call: the schema exists from the first message on.
        await _store.InitializeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        var entries = new List<HarvestEntry>(_maxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await DrainAsync(batch, entries, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is already queued is still written (its devices may be waiting for the reply).
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryPeek(out _))
            {
                await DrainAsync(batch, entries, CancellationToken.None);
            }
        }
    }

    private async Task DrainAsync(List<Pending> batch, List<HarvestEntry> entries, CancellationToken cancellationToken)
    {
        batch.Clear();
        entries.Clear();
        // A message's entries (a batch write's up to 100) are taken together, never split across two transactions:
        // that is what makes a batch all-or-nothing. So a transaction may exceed _maxBatch by up to one message's entries.
        while (entries.Count < _maxBatch && _queue.Reader.TryRead(out var pending))
        {
            batch.Add(pending);
            entries.AddRange(pending.Entries);
        }

        try
        {
            await _store.WriteAsync(entries, cancellationToken);
            _health?.Succeeded("Harvest", "store", _store.Name, entries.Count);
            foreach (var p in batch)
            {
                p.Done.TrySetResult();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, _store.Name, entries.Count, e);
            // The store's own words (SQLite's, PostgreSQL's): they name what failed, never the connection's password.
            var reason = $"{e.GetType().Name}: {e.Message}";
            _health?.Failed("Harvest", "store", _store.Name, reason.Length > 300 ? reason[..300] + "…" : reason, entries.Count);
            foreach (var p in batch)
            {
                p.Done.TrySetException(e);
            }
        }
    }

    private sealed record Pending(HarvestEntry[] Entries, TaskCompletionSource Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "Harvest: writing {Count} entries to the {Store} store failed; their devices were told so")]
    private static partial void LogWriteFailed(ILogger logger, string store, int count, Exception exception);
}
