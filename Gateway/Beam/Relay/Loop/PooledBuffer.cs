using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Beam.Relay.Loop;

/// <summary>The device reader's and writer's one buffer: pooled bytes of which <c>[start, end)</c> are in use.</summary>
internal static class PooledBuffer
{
    /// <summary>
    /// Makes at least <paramref name="room"/> bytes free after <paramref name="end"/>: rents a first buffer (at least
    /// <paramref name="initial"/>), or moves what is in use to the front, or moves it to a larger buffer.
    /// </summary>
    public static void Reserve([NotNull] ref byte[]? buffer, ref int start, ref int end, int room, int initial)
    {
        if (buffer is null)
        {
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(room, initial));
            start = end = 0;
            return;
        }

        if (buffer.Length - end >= room)
        {
            return;
        }

        var kept = end - start;
        var target = kept + room <= buffer.Length ? buffer : ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, kept + room));
        buffer.AsSpan(start, kept).CopyTo(target);
        if (!ReferenceEquals(target, buffer))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = target;
        }

        start = 0;
        end = kept;
    }

    /// <summary>Hands the buffer back to the pool (when there is one); nothing is in use after.</summary>
    public static void Return(ref byte[]? buffer, ref int start, ref int end)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }

        start = end = 0;
    }
}
