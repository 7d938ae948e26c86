using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// MQTT's data representations (§1.5 in 3.1.1, §1.5 in 5.0): two-byte-length UTF-8 strings and binary data, and the
/// variable byte integer of lengths. A string must be well-formed UTF-8 without U+0000 (§1.5.4); anything else makes
/// the packet malformed.
/// </summary>
internal static class MqttFields
{
    public static bool TryReadVariableInteger(ref SequenceReader<byte> reader, out int value)
    {
        value = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A packet identifier (§2.2.1): two bytes, never 0 (a protocol error).</summary>
    public static MqttParseStatus TryReadPacketId(ref SequenceReader<byte> reader, out ushort packetId)
    {
        packetId = 0;
        if (!reader.TryReadBigEndian(out short id))
        {
            return MqttParseStatus.Malformed;
        }

        packetId = (ushort)id;
        return packetId == 0 ? MqttParseStatus.ProtocolError : MqttParseStatus.Ok;
    }

    /// <summary>Reads a UTF-8 string field into a string.</summary>
    public static MqttParseStatus TryReadString(ref SequenceReader<byte> reader, out string value)
    {
        value = "";
        if (!TryReadStringBytes(ref reader, out var bytes))
        {
            return MqttParseStatus.Malformed;
        }

        if (bytes.IsSingleSegment)
        {
            value = Encoding.UTF8.GetString(bytes.FirstSpan);
        }
        else
        {
            value = Encoding.UTF8.GetString(bytes.ToArray());
        }

        return MqttParseStatus.Ok;
    }

    /// <summary>Checks a UTF-8 string field and steps over it, without making a string of it.</summary>
    public static MqttParseStatus SkipString(ref SequenceReader<byte> reader) =>
        TryReadStringBytes(ref reader, out _) ? MqttParseStatus.Ok : MqttParseStatus.Malformed;

    /// <summary>A string field's bytes, once checked to be well-formed UTF-8 without U+0000.</summary>
    private static bool TryReadStringBytes(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> bytes)
    {
        bytes = default;
        if (!reader.TryReadBigEndian(out short length) || reader.Remaining < (ushort)length)
        {
            return false;
        }

        bytes = reader.UnreadSequence.Slice(0, (ushort)length);
        reader.Advance((ushort)length);
        if (bytes.IsSingleSegment)
        {
            return IsValid(bytes.FirstSpan);
        }

        // Split across the pipe's buffers (a field at a segment boundary): checked whole, since a character may straddle it.
        return IsValid(bytes.ToArray());
    }

    private static bool IsValid(ReadOnlySpan<byte> bytes) => bytes.IndexOf((byte)0) < 0 && Utf8.IsValid(bytes);

    /// <summary>Reads a binary data field (§1.5.6) into a new array.</summary>
    public static bool TryReadBinary(ref SequenceReader<byte> reader, out byte[] value)
    {
        value = [];
        if (!reader.TryReadBigEndian(out short length) || reader.Remaining < (ushort)length)
        {
            return false;
        }

        value = reader.UnreadSequence.Slice(0, (ushort)length).ToArray();
        reader.Advance((ushort)length);
        return true;
    }

    public static bool SkipBinary(ref SequenceReader<byte> reader)
    {
        if (!reader.TryReadBigEndian(out short length) || reader.Remaining < (ushort)length)
        {
            return false;
        }

        reader.Advance((ushort)length);
        return true;
    }

    /// <summary>Every property identifier MQTT 5 defines (§2.2.2.2), whichever packet it belongs to.</summary>
    public static bool IsDefinedProperty(byte id) => id is 0x01 or 0x02 or 0x03 or 0x08 or 0x09 or 0x0B or 0x11 or 0x12 or 0x13 or 0x15 or 0x16
        or 0x17 or 0x18 or 0x19 or 0x1A or 0x1C or 0x1F or 0x21 or 0x22 or 0x23 or 0x24 or 0x25 or 0x26 or 0x27 or 0x28 or 0x29 or 0x2A;
}
