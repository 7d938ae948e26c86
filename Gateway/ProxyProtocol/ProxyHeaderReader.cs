using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.ProxyProtocol;

/// <summary>
/// Reads a PROXY header off the start of a connection's pipe and consumes exactly it, so that what follows is the
/// device's own protocol. The caller keeps the deadline, by cancelling the pending read.
/// </summary>
internal static class ProxyHeaderReader
{
    public static async ValueTask<ProxyReadResult> ReadAsync(PipeReader input)
    {
        while (true)
        {
            var read = await input.ReadAsync();
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return new ProxyReadResult(Canceled: true, Accepted: false, null, ProxyRejectReason.Truncated);
            }

            switch (Parse(buffer, out var header, out var reason))
            {
                case ProxyParseStatus.Done:
                    input.AdvanceTo(buffer.GetPosition(header.Length));
                    return new ProxyReadResult(Canceled: false, Accepted: true, header.Source, default);
                case ProxyParseStatus.Rejected:
                    input.AdvanceTo(buffer.End);
                    return new ProxyReadResult(Canceled: false, Accepted: false, null, reason);
            }

            if (read.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return new ProxyReadResult(Canceled: false, Accepted: false, null, ProxyRejectReason.Truncated);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The parser over a sequence: a header never needs more than <see cref="ProxyHeaderParser.MaxHeaderBytes"/>.</summary>
    private static ProxyParseStatus Parse(in ReadOnlySequence<byte> buffer, out ProxyHeader header, out ProxyRejectReason reason)
    {
        if (buffer.IsSingleSegment)
        {
            return ProxyHeaderParser.TryParse(buffer.FirstSpan, out header, out reason);
        }

        Span<byte> copy = stackalloc byte[ProxyHeaderParser.MaxHeaderBytes];
        var length = (int)Math.Min(buffer.Length, copy.Length);
        buffer.Slice(0, length).CopyTo(copy);
        return ProxyHeaderParser.TryParse(copy[..length], out header, out reason);
    }
}
