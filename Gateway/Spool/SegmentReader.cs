using Microsoft.Win32.SafeHandles;

namespace Gateway.Spool;

/// <summary>Reads records back from a segment file, trusting nothing: a length past the end or a CRC mismatch is no record.</summary>
internal static class SegmentReader
{
    /// <summary>The record's body (ID, time, payload) at <paramref name="offset"/>, or null when there is no whole, intact record there.</summary>
    public static byte[]? ReadBody(SafeFileHandle file, long offset, long end, int maxBody)
    {
        Span<byte> header = stackalloc byte[SegmentFormat.RecordHeaderBytes];
        if (end - offset < SegmentFormat.RecordHeaderBytes || RandomAccess.Read(file, header, offset) != header.Length)
        {
            return null;
        }

        var length = SegmentFormat.BodyLength(header, maxBody);
        if (length < 0 || end - offset - SegmentFormat.RecordHeaderBytes < length)
        {
            return null;
        }

        var body = new byte[length];
        if (RandomAccess.Read(file, body, offset + SegmentFormat.RecordHeaderBytes) != length || !SegmentFormat.Verify(header, body))
        {
            return null;
        }

        return body;
    }

    /// <summary>True when the file starts with the segment magic.</summary>
    public static bool HasMagic(SafeFileHandle file)
    {
        Span<byte> magic = stackalloc byte[SegmentFormat.HeaderBytes];
        return RandomAccess.Read(file, magic, 0) == magic.Length && magic.SequenceEqual(SegmentFormat.Magic);
    }
}
