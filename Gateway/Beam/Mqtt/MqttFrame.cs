using System.Buffers;

namespace Gateway.Beam.Mqtt;

/// <summary>What <see cref="MqttFrame.TryRead"/> found at the start of a buffer.</summary>
internal enum MqttFrameStatus
{
    /// <summary>More bytes are needed.</summary>
    Incomplete,

    /// <summary>A whole packet is there.</summary>
    Packet,

    /// <summary>The remaining length runs past its four bytes: not MQTT, or corrupted.</summary>
    Malformed,

    /// <summary>The packet is bigger than the caller allows.</summary>
    TooLarge,
}

/// <summary>
/// The MQTT 3.1.1 fixed header (§2.2): a type/flags byte, then the remaining length as a little-endian base-128
/// varint of at most four bytes (so at most 268,435,455). The packet is framed, never copied.
/// </summary>
internal static class MqttFrame
{
    /// <summary>The largest remaining length four varint bytes can carry.</summary>
    public const int MaxRemainingLength = 268_435_455;

    public const byte Connect = 1;
    public const byte ConnAck = 2;
    public const byte Publish = 3;
    public const byte Disconnect = 14;

    /// <summary>
    /// Frames the packet at the start of <paramref name="buffer"/>. On <see cref="MqttFrameStatus.Packet"/>,
    /// <paramref name="headerLength"/> + <paramref name="remainingLength"/> bytes make the packet.
    /// </summary>
    public static MqttFrameStatus TryRead(in ReadOnlySequence<byte> buffer, long maxPacketBytes, out byte first, out int headerLength, out int remainingLength)
    {
        var status = TryReadHeader(buffer, out first, out headerLength, out remainingLength);
        if (status != MqttFrameStatus.Packet)
        {
            return status;
        }

        // Checked before waiting for the body, so an oversized packet is refused without buffering it.
        if (headerLength + (long)remainingLength > maxPacketBytes)
        {
            return MqttFrameStatus.TooLarge;
        }

        return buffer.Length >= headerLength + remainingLength ? MqttFrameStatus.Packet : MqttFrameStatus.Incomplete;
    }

    /// <summary>
    /// Reads just the fixed header; <see cref="MqttFrameStatus.Packet"/> means the header is complete (the body may
    /// not have arrived yet), so a relay can pass a large body on as it comes instead of holding it whole.
    /// </summary>
    public static MqttFrameStatus TryReadHeader(in ReadOnlySequence<byte> buffer, out byte first, out int headerLength, out int remainingLength)
    {
        first = 0;
        headerLength = 0;
        remainingLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out first))
        {
            return MqttFrameStatus.Incomplete;
        }

        var multiplier = 1;
        for (var i = 0; i < 4; i++)
        {
            if (!reader.TryRead(out var b))
            {
                return MqttFrameStatus.Incomplete;
            }

            remainingLength += (b & 0x7f) * multiplier;
            multiplier *= 128;
            if ((b & 0x80) == 0)
            {
                headerLength = i + 2;
                return MqttFrameStatus.Packet;
            }
        }

        // A fifth length byte (§2.2.3): no MQTT packet is that long.
        return MqttFrameStatus.Malformed;
    }

    /// <summary>Writes a remaining length; returns the bytes written (1–4).</summary>
    public static int WriteRemainingLength(Span<byte> destination, int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxRemainingLength);
        var i = 0;
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            destination[i++] = value > 0 ? (byte)(b | 0x80) : b;
        }
        while (value > 0);

        return i;
    }

    /// <summary>How many bytes <see cref="WriteRemainingLength"/> takes for a value.</summary>
    public static int RemainingLengthSize(int value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };
}
