using System.IO.Pipelines;
using System.Net.Sockets;
using Gateway.Beam.Relay;

namespace Gateway.Beam.Mqtt;

/// <summary>
/// One relayed MQTT connection's idle cut, watched by the handler's shared <see cref="RelayDeadlines"/> tick instead of
/// a timer of its own: a restart writes a number, and the pumps wait without a cancellation token. A timer with its
/// cancellation source and the two reads' registrations was ≈ 0.4 KiB of every idle connection (docs/performance.md,
/// memory per idle connection). Ending cancels the device side's pending read and flush and shuts the upstream socket
/// down, which ends its pending read: both pumps return.
/// </summary>
internal sealed class SweptIdle(PipeReader device, PipeWriter toDevice, Socket upstream, TimeSpan after) : IRelayIdle, IDeadline
{
    private readonly long _afterMs = (long)after.TotalMilliseconds;
    private long _deadline = Environment.TickCount64 + (long)after.TotalMilliseconds;
    private int _ended;

    public CancellationToken Token => CancellationToken.None;

    public void Restart() => Volatile.Write(ref _deadline, Environment.TickCount64 + _afterMs);

    public void Expire(long now)
    {
        if (now >= Volatile.Read(ref _deadline))
        {
            End();
        }
    }

    public ValueTask EndAsync()
    {
        End();
        return ValueTask.CompletedTask;
    }

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        device.CancelPendingRead();
        toDevice.CancelPendingFlush();
        try
        {
            upstream.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: its pending read has ended.
        }
    }
}
