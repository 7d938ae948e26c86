using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Gateway.Spool;

/// <summary>
/// The bytes of a segment file: an 8-byte magic (<c>GWSPOOL1</c>), then records, each
/// <c>length (u32 LE) | CRC-32C of what follows (u32 LE) | message ID (16 bytes, big-endian UUID) | spooled at (Unix
/// ms, i64 LE) | payload</c>, where length counts the ID, the time and the payload. The CRC is what tells a record
/// torn by a crash (or a zeroed tail the file system left) from a whole one: a reader stops at the first record whose
/// length runs past the file or whose CRC does not match. CRC-32C because the CPU computes it
/// (<see cref="BitOperations.Crc32C(uint, ulong)"/>, SSE 4.2 / ARMv8), so checking costs next to nothing.
/// </summary>
internal static class SegmentFormat
{
    public const int HeaderBytes = 8;

    /// <summary>Length and CRC before each record's body.</summary>
    public const int RecordHeaderBytes = 8;

    /// <summary>ID and time at the start of each record's body.</summary>
    public const int FixedBodyBytes = 24;

    public static ReadOnlySpan<byte> Magic => "GWSPOOL1"u8;

    public static int RecordBytes(int payloadLength) => RecordHeaderBytes + FixedBodyBytes + payloadLength;

    public static void WriteRecord(IBufferWriter<byte> writer, Guid id, long timestampMs, ReadOnlySpan<byte> payload)
    {
        var size = RecordBytes(payload.Length);
        var span = writer.GetSpan(size)[..size];
        var body = span[RecordHeaderBytes..];
        id.TryWriteBytes(body, bigEndian: true, out _);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], timestampMs);
        payload.CopyTo(body[FixedBodyBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C(body));
        writer.Advance(size);
    }

    /// <summary>The body's length from a record header, or -1 when it cannot be a record's.</summary>
    public static int BodyLength(ReadOnlySpan<byte> header, int maxBody)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return length < FixedBodyBytes || length > (uint)maxBody ? -1 : (int)length;
    }

    public static bool Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) == Crc32C(body);

    public static Guid Id(ReadOnlySpan<byte> body) => new(body[..16], bigEndian: true);

    public static long Timestamp(ReadOnlySpan<byte> body) => BinaryPrimitives.ReadInt64LittleEndian(body[16..]);

    /// <summary>CRC-32C (Castagnoli), as iSCSI and ext4 use it: reflected, initial and final value all ones.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words)
        {
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w));
        }

        foreach (var b in data[(words.Length * 8)..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
