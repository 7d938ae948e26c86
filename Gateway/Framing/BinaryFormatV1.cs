using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Framing;

/// <summary>
/// Soracom Binary Format v1 framing for TCP: a 2-byte big-endian body length (1–65535), the body, and a 2-byte
/// CRC-16/CCITT-FALSE over length and body. Frames may arrive split over any number of reads.
/// </summary>
internal static class BinaryFormatV1
{
    public const int HeaderSize = 2;
    public const int CrcSize = 2;

    /// <summary>Takes one frame off the front of <paramref name="buffer"/>, advancing it past what was consumed.</summary>
    public static FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (buffer.Length < HeaderSize)
        {
            return FrameStatus.Incomplete;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (length == 0)
        {
            buffer = buffer.Slice(HeaderSize);
            return FrameStatus.ZeroLength;
        }

        var total = HeaderSize + length + CrcSize;
        if (buffer.Length < total)
        {
            return FrameStatus.Incomplete;
        }

        var crc = Crc16CcittFalse.Compute(header);
        foreach (var segment in buffer.Slice(HeaderSize, length))
        {
            crc = Crc16CcittFalse.Compute(segment.Span, crc);
        }

        Span<byte> trailer = stackalloc byte[CrcSize];
        buffer.Slice(HeaderSize + length, CrcSize).CopyTo(trailer);
        body = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(total);
        return crc == BinaryPrimitives.ReadUInt16BigEndian(trailer) ? FrameStatus.Complete : FrameStatus.BadCrc;
    }

    /// <summary>Frames a body (for tests and tools).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> body)
    {
        if (body.Length is 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(body), body.Length, "A Binary Format v1 body is 1 to 65535 bytes.");
        }

        var frame = new byte[HeaderSize + body.Length + CrcSize];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)body.Length);
        body.CopyTo(frame.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(HeaderSize + body.Length), Crc16CcittFalse.Compute(frame.AsSpan(0, HeaderSize + body.Length)));
        return frame;
    }
}
