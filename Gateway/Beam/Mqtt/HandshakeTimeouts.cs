using System.Collections.Concurrent;

namespace Gateway.Beam.Mqtt;

/// <summary>
/// Timeout sources for connection handshakes, reused: a handshake's source (with its timer and registration list,
/// ≈ 0.25 KiB) is garbage after a few milliseconds, and garbage a new connection leaves between the objects of the
/// connections that stay open costs resident memory until a compacting collection (docs/performance.md, memory per
/// idle connection). A source is reused only when it did not fire; its timer is then stopped and its registrations
/// dropped (<see cref="CancellationTokenSource.TryReset"/>), which is safe because every operation given its token
/// has finished before it is returned.
/// </summary>
internal static class HandshakeTimeouts
{
    /// <summary>At most this many idle sources are kept (about as many handshakes as run at once under a burst).</summary>
    private const int Kept = 256;

    private static readonly ConcurrentQueue<CancellationTokenSource> s_free = new();
    private static int s_freeCount;

    /// <summary>A source that cancels after <paramref name="after"/>; give it back with <see cref="Return"/>.</summary>
    public static CancellationTokenSource Rent(TimeSpan after)
    {
        if (s_free.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref s_freeCount);
        }
        else
        {
            source = new CancellationTokenSource();
        }

        source.CancelAfter(after);
        return source;
    }

    /// <summary>Takes a source back once nothing uses its token any more; one whose timer fired is disposed instead.</summary>
    public static void Return(CancellationTokenSource source)
    {
        // TryReset refuses a source that was cancelled or whose timer ever fired (even if its cancel is still on the
        // way): such a source is never handed out again.
        if (!source.TryReset())
        {
            source.Dispose();
            return;
        }

        if (Interlocked.Increment(ref s_freeCount) <= Kept)
        {
            s_free.Enqueue(source);
            return;
        }

        Interlocked.Decrement(ref s_freeCount);
        source.Dispose();
    }
}
