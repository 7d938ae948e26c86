using Confluent.Kafka;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// One <see cref="IFunnelAdapter.SendAsync"/> call in flight: collects delivery reports, which librdkafka's poll thread
/// delivers, into the caller's results and completes when every message has one. Once closed (all reported, the
/// caller's deadline passed, or the producer failed) later reports are dropped, so nothing writes into the caller's
/// array after <see cref="IFunnelAdapter.SendAsync"/> returned.
/// </summary>
internal sealed class KafkaBatch
{
    private readonly Lock _gate = new();
    private readonly DeliveryResult[] _results;
    private readonly bool[] _done;
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;
    private bool _closed;

    public KafkaBatch(DeliveryResult[] results, int count)
    {
        _results = results;
        _done = new bool[count];
        _remaining = count;
        if (count == 0)
            _all.SetResult();
    }

    /// <summary>Completes when every message has a result or the batch was closed.</summary>
    public Task Completion => _all.Task;

    /// <summary>Records message <paramref name="index"/>'s result unless it has one or the batch is closed.</summary>
    public void Complete(int index, DeliveryResult result)
    {
        lock (_gate)
        {
            if (_closed || _done[index])
                return;
            _done[index] = true;
            _results[index] = result;
            if (--_remaining == 0)
            {
                _closed = true;
                _all.SetResult();
            }
        }
    }

    /// <summary>The delivery handler for message <paramref name="index"/>.</summary>
    public Action<DeliveryReport<string, byte[]>> Handler(int index) =>
        report => Complete(index, report.Error.IsError ? KafkaErrors.Map(report.Error.Code) : DeliveryResult.Ok);

    /// <summary>Gives every message without a result <paramref name="result"/> and closes the batch.</summary>
    public void Close(DeliveryResult result)
    {
        lock (_gate)
        {
            if (_closed)
                return;
            for (var i = 0; i < _done.Length; i++)
            {
                if (!_done[i])
                    _results[i] = result;
            }
            _closed = true;
            _all.SetResult();
        }
    }
}
