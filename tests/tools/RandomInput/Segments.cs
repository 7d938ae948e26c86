using System.Buffers;

namespace Gateway.RandomInput;

/// <summary>
/// Bytes as a multi-segment <see cref="ReadOnlySequence{T}"/>, as a pipe hands them over after several reads: parsers
/// that take sequences have a slow path for data split across segments, and it is fed too.
/// </summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>One segment, or up to eight split at points chosen by <paramref name="hash"/>.</summary>
    public static ReadOnlySequence<byte> Split(byte[] input, ref InputHash hash)
    {
        var pieces = hash.Next(4) == 0 ? 1 : 1 + hash.Next(8);
        if (pieces == 1 || input.Length < 2)
        {
            return new ReadOnlySequence<byte>(input);
        }

        var first = new Segments(input.AsMemory(0, 0), 0);
        var last = first;
        var at = 0;
        for (var i = 0; i < pieces && at < input.Length; i++)
        {
            // Short pieces most of the time: a length field split over two segments is the interesting case.
            var take = i == pieces - 1 ? input.Length - at : Math.Min(input.Length - at, 1 + hash.Next(hash.Next(2) == 0 ? 4 : input.Length));
            last = last.Append(input.AsMemory(at, take));
            at += take;
        }

        if (at < input.Length)
        {
            last = last.Append(input.AsMemory(at));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private Segments Append(ReadOnlyMemory<byte> memory)
    {
        var next = new Segments(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
