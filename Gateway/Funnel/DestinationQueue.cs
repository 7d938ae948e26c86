using System.Security.Cryptography;
using System.Threading.Channels;
using Gateway.Adapters;

namespace Gateway.Funnel;

/// <summary>
/// One adapter (one destination and credential set) and the messages waiting for it. A single pump takes them off
/// a bounded channel in batches of up to the adapter's <see cref="IFunnelAdapter.MaxBatchSize"/>, waiting at most
/// the batch window for a batch to fill, and runs each batch in one of a bounded number of slots. A transient
/// failure is retried with exponential backoff and jitter while the message's delivery deadline allows; the slot
/// is given back during the wait so a struggling destination does not hold the others' turns. Once retired, it
/// finishes what it holds and then disposes the adapter.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The semaphore never creates its wait handle (no AvailableWaitHandle); the queue ends by draining, not by Dispose.")]
internal sealed partial class DestinationQueue
{
    private readonly Channel<FunnelDelivery> _channel;
    private readonly SemaphoreSlim _slots;
    private readonly IFunnelAdapter _adapter;
    private readonly FunnelOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly TimeSpan _deadline;
    private readonly TimeSpan _window;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _active = 1;
    private volatile bool _retired;
    private Health.DestinationTracker? _health;

    public DestinationQueue(string destinationKey, FunnelRoute route, string kind, IFunnelAdapter adapter, FunnelOptions options, TimeProvider time, ILogger logger)
    {
        DestinationKey = destinationKey;
        Route = route;
        Kind = kind;
        _adapter = adapter;
        _options = options;
        _time = time;
        _logger = logger;
        _tag = FunnelMetrics.Destination(kind);
        _deadline = TimeSpan.FromSeconds(options.DeliveryTimeoutSeconds);
        _window = TimeSpan.FromMilliseconds(options.BatchWindowMilliseconds);
        _slots = new SemaphoreSlim(options.MaxConcurrencyPerDestination, options.MaxConcurrencyPerDestination);
        _channel = Channel.CreateBounded<FunnelDelivery>(new BoundedChannelOptions(options.QueueCapacityPerDestination) { SingleReader = true });
        _ = PumpAsync();
    }

    public string DestinationKey { get; }

    public FunnelRoute Route { get; }

    public string Kind { get; }

    /// <summary>The destination as operators see it in the health view: its resource without query or user info.</summary>
    public string Target { get; init; } = string.Empty;

    /// <summary>Made at first use, once <see cref="Target"/> is set; by one thread only, so no outcome is lost.</summary>
    private Health.DestinationTracker Tracker
    {
        get
        {
            if (_health is { } tracker)
            {
                return tracker;
            }

            Interlocked.CompareExchange(ref _health, new Health.DestinationTracker("Funnel", Kind, Target), null);
            return _health;
        }
    }

    public int MaxMessageBytes => _adapter.MaxMessageBytes;

    /// <summary>Completes once the queue is retired, drained and its adapter disposed.</summary>
    public Task Disposed => _disposed.Task;

    public SubmitOutcome Submit(FunnelDelivery delivery)
    {
        if (_retired)
        {
            return SubmitOutcome.Closed;
        }

        if (_channel.Writer.TryWrite(delivery))
        {
            return SubmitOutcome.Accepted;
        }

        return _retired ? SubmitOutcome.Closed : SubmitOutcome.Full;
    }

    /// <summary>Takes no more messages; those already taken are still delivered, then the adapter is disposed.</summary>
    public void Retire()
    {
        _retired = true;
        _channel.Writer.TryComplete();
    }

    public Health.DestinationStatus Health() => Tracker.Status(_channel.Reader.Count);

    private async Task PumpAsync()
    {
        var reader = _channel.Reader;
        var max = Math.Max(1, _adapter.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync())
            {
                var batch = new List<FunnelDelivery>(Math.Min(max, 16));
                while (batch.Count < max && reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                }

                if (batch.Count < max && _window > TimeSpan.Zero)
                {
                    await FillAsync(reader, batch, max);
                }

                await _slots.WaitAsync();
                Interlocked.Increment(ref _active);
                _ = RunAsync(batch);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Waits up to the batch window for more messages: the latency a device pays for batching is bounded by it.</summary>
    private async Task FillAsync(ChannelReader<FunnelDelivery> reader, List<FunnelDelivery> batch, int max)
    {
        using var window = new CancellationTokenSource(_window, _time);
        try
        {
            while (batch.Count < max && await reader.WaitToReadAsync(window.Token))
            {
                while (batch.Count < max && reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The window closed: send what there is.
        }
    }

    private async Task RunAsync(List<FunnelDelivery> batch)
    {
        var holding = true;
        try
        {
            for (var attempt = 0; batch.Count > 0; attempt++)
            {
                var transient = await AttemptAsync(batch);
                if (transient.Count == 0)
                {
                    return;
                }

                var delay = Backoff(attempt);
                batch = new List<FunnelDelivery>(transient.Count);
                foreach (var (delivery, result) in transient)
                {
                    delivery.LastFailure = result;
                    // After the backoff, the next attempt must still fit what the adapter's client keeps (below).
                    if (Remaining(delivery) > delay + _adapter.KeepsMessagesFor)
                    {
                        FunnelMetrics.Retried.Add(1, _tag);
                        batch.Add(delivery);
                    }
                    else
                    {
                        Finish(delivery, result);
                    }
                }

                if (batch.Count == 0)
                {
                    return;
                }

                _slots.Release();
                holding = false;
                await Task.Delay(delay, _time);
                await _slots.WaitAsync();
                holding = true;
            }
        }
        finally
        {
            if (holding)
            {
                _slots.Release();
            }

            Exit();
        }
    }

    /// <summary>One send of the batch's live messages; returns the transient failures (the rest are finished here).</summary>
    private async Task<List<(FunnelDelivery Delivery, DeliveryResult Result)>> AttemptAsync(List<FunnelDelivery> batch)
    {
        var live = new List<FunnelDelivery>(batch.Count);
        var budget = _deadline;
        foreach (var delivery in batch)
        {
            var remaining = Remaining(delivery);
            if (remaining <= TimeSpan.Zero)
            {
                // Its deadline passed while it waited (behind a slow destination, or for a retry): sending it now would
                // answer no one. The device learns the last real failure, if there was one.
                Finish(delivery, delivery.LastFailure ?? Expired());
                continue;
            }

            if (remaining <= _adapter.KeepsMessagesFor)
            {
                // The adapter's client (librdkafka) could still deliver it after the device is told it failed, and the
                // device's retry would make it a duplicate: fail it now, unsent.
                Finish(delivery, delivery.LastFailure ?? TooLate());
                continue;
            }

            budget = remaining < budget ? remaining : budget;
            live.Add(delivery);
        }

        var results = new DeliveryResult[live.Count];
        if (live.Count > 0)
        {
            await SendAsync([.. live.Select(static d => d.Message)], results, budget);
        }

        var transient = new List<(FunnelDelivery, DeliveryResult)>();
        for (var i = 0; i < live.Count; i++)
        {
            RecordHealth(results[i]);
            if (results[i].Outcome == DeliveryOutcome.Transient)
            {
                transient.Add((live[i], results[i]));
            }
            else
            {
                Finish(live[i], results[i]);
            }
        }

        return transient;
    }

    /// <summary>The adapter's send, bounded by the earliest deadline in the batch; an adapter that throws is a transient failure.</summary>
    private async Task SendAsync(OutgoingMessage[] messages, DeliveryResult[] results, TimeSpan budget)
    {
        using var deadline = new CancellationTokenSource(budget, _time);
        try
        {
            await _adapter.SendAsync(messages, results, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Array.Fill(results, Expired());
        }
        catch (Exception e)
        {
            // The contract says adapters report failures rather than throw; one that throws is not allowed to take
            // the pump down. The exception's type only: its message might quote a connection string.
            LogAdapterThrew(_logger, Kind, e.GetType().Name);
            Array.Fill(results, DeliveryResult.Transient(502, $"{Kind} adapter failed ({e.GetType().Name})"));
        }
    }

    private void Finish(FunnelDelivery delivery, DeliveryResult result)
    {
        if (!delivery.Complete(result))
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(delivery.StartedAt).TotalSeconds;
        if (result.Outcome == DeliveryOutcome.Delivered)
        {
            FunnelMetrics.Sent.Add(1, _tag);
            FunnelMetrics.Duration.Record(elapsed, _tag, FunnelMetrics.Outcome("delivered"));
            return;
        }

        var outcome = result.Outcome == DeliveryOutcome.Permanent ? "permanent" : "transient";
        FunnelMetrics.Failed.Add(1, _tag, FunnelMetrics.Outcome(outcome));
        FunnelMetrics.Duration.Record(elapsed, _tag, FunnelMetrics.Outcome(outcome));
        LogDeliveryFailed(_logger, Kind, delivery.Message.MessageId, result.Status, result.Reason);
    }

    private void RecordHealth(DeliveryResult result)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (result.Outcome == DeliveryOutcome.Delivered)
        {
            Tracker.Succeeded(now);
        }
        else
        {
            Tracker.Failed(now, result.Reason ?? $"{Kind} failed ({result.Status})");
        }
    }

    private DeliveryResult Expired() =>
        DeliveryResult.Transient(504, $"{Kind} did not accept the message within {_options.DeliveryTimeoutSeconds} s");

    private DeliveryResult TooLate() =>
        DeliveryResult.Transient(504, $"{Kind}: the message waited too long to be sent within {_options.DeliveryTimeoutSeconds} s");

    private TimeSpan Remaining(FunnelDelivery delivery) => _deadline - _time.GetElapsedTime(delivery.StartedAt);

    /// <summary>base·2^attempt capped, times a random factor in [0.5, 1]: retries from many devices spread out.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.RetryMaxDelayMilliseconds, _options.RetryBaseDelayMilliseconds * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (RandomNumberGenerator.GetInt32(0, 501) / 1000.0)));
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _active) == 0)
        {
            _ = DisposeAdapterAsync();
        }
    }

    private async Task DisposeAdapterAsync()
    {
        try
        {
            await _adapter.DisposeAsync();
        }
        catch (Exception e)
        {
            LogDisposeFailed(_logger, Kind, e.GetType().Name);
        }
        finally
        {
            _disposed.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel delivery to {Destination} failed for message {MessageId}: {Status} {Reason}")]
    private static partial void LogDeliveryFailed(ILogger logger, string destination, string messageId, int status, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Destination} adapter threw {ExceptionType} instead of reporting a result")]
    private static partial void LogAdapterThrew(ILogger logger, string destination, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing the {Destination} adapter threw {ExceptionType}")]
    private static partial void LogDisposeFailed(ILogger logger, string destination, string exceptionType);
}
