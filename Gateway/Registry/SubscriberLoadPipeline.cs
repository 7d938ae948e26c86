using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Gateway.Registry;

/// <summary>
/// A start's subscribers on two threads: the thread that reads the store also reads each row into a SIM
/// (<see cref="RegistryEdit.ReadRow"/>), and this pipeline's own thread applies them to the index
/// (<see cref="RegistryEdit.ApplyRow"/>) in the order they were read, so the result and the errors are those of one
/// thread doing both. Reading (the store, the JSON, the strings a SIM keeps) and indexing (a million probes into
/// maps too large for the cache) take about the same time, so the wall clock of a large load nearly halves on a
/// machine with a second core. Rows travel in batches, so the threads meet once per thousand rows, not per row.
/// </summary>
internal sealed class SubscriberLoadPipeline : IDisposable
{
    internal const int BatchSize = 1024;

    /// <summary>Batches read and not yet applied, at most: the reader waits rather than run ahead of the index.</summary>
    private const int MaxPending = 16;

    private readonly Action<StoredSubscriberRow> _apply;
    private readonly BlockingCollection<(StoredSubscriberRow[] Rows, int Count)> _full = new(MaxPending);
    private readonly ConcurrentBag<StoredSubscriberRow[]> _free = [];
    private readonly CancellationTokenSource _failed = new();
    private readonly Thread _applier;
    private StoredSubscriberRow[] _batch = new StoredSubscriberRow[BatchSize];
    private int _count;
    private volatile ExceptionDispatchInfo? _failure;
    private bool _completed;

    public SubscriberLoadPipeline(Action<StoredSubscriberRow> apply)
    {
        _apply = apply;
        _applier = new Thread(ApplyAll) { IsBackground = true, Name = "Registry load" };
        _applier.Start();
    }

    /// <summary>
    /// Whether a second thread helps once <paramref name="rowsSoFar"/> rows were read: with one core it would only
    /// take turns with the reader, and a small registry is read before a thread would have started.
    /// </summary>
    public static bool Helps(int rowsSoFar) => Environment.ProcessorCount > 1 && rowsSoFar >= 4 * BatchSize;

    /// <summary>Queues a row; throws what applying an earlier row threw, which ends the load.</summary>
    public void Add(StoredSubscriberRow row)
    {
        _batch[_count++] = row;
        if (_count == _batch.Length)
        {
            Send();
        }
    }

    /// <summary>Waits until every row is applied; throws what applying one threw.</summary>
    public void Complete()
    {
        if (_count > 0)
        {
            Send();
        }

        _completed = true;
        _full.CompleteAdding();
        _applier.Join();
        _failure?.Throw();
    }

    /// <summary>Stops the applying thread when the load ended early (the store read failed or was cancelled).</summary>
    public void Dispose()
    {
        if (!_completed)
        {
            _full.CompleteAdding();
            _failed.Cancel();
            _applier.Join();
        }

        _full.Dispose();
        _failed.Dispose();
    }

    private void Send()
    {
        try
        {
            _full.Add((_batch, _count), _failed.Token);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            _failure.Throw();
        }

        _batch = _free.TryTake(out var reused) ? reused : new StoredSubscriberRow[BatchSize];
        _count = 0;
    }

    private void ApplyAll()
    {
        try
        {
            foreach (var (rows, count) in _full.GetConsumingEnumerable(_failed.Token))
            {
                for (var i = 0; i < count; i++)
                {
                    _apply(rows[i]);
                }

                Array.Clear(rows, 0, count);
                _free.Add(rows);
            }
        }
        catch (OperationCanceledException) when (_failed.IsCancellationRequested)
        {
            // Dispose: the load ended without this thread.
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
            _failed.Cancel();
        }
    }
}
