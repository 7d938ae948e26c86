using Gateway.Adapters;

namespace Gateway.Funnel;

/// <summary>
/// One message on its way to a destination: the record, the pooled buffer behind its body (returned when the
/// delivery is final, by whoever finishes it), when it was handed over, and the result the caller awaits.
/// </summary>
internal sealed class FunnelDelivery(OutgoingMessage message, PooledBufferWriter body, long startedAt)
{
    private readonly TaskCompletionSource<DeliveryResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public OutgoingMessage Message { get; } = message;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when it was handed over: the delivery deadline counts from here.</summary>
    public long StartedAt { get; } = startedAt;

    public Task<DeliveryResult> Result => _done.Task;

    /// <summary>The last transient failure, reported if the deadline passes before the next attempt.</summary>
    public DeliveryResult? LastFailure { get; set; }

    /// <summary>Sets the final result and returns the body's buffer; later calls do nothing.</summary>
    public bool Complete(DeliveryResult result)
    {
        if (!_done.TrySetResult(result))
        {
            return false;
        }

        body.Dispose();
        return true;
    }
}
