using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Beam.Mqtt;

/// <summary>What <see cref="MqttConnect.Parse"/> made of a CONNECT packet.</summary>
internal enum ConnectParseStatus
{
    Ok,

    /// <summary>Protocol name MQTT or MQIsdp, but a level this gateway does not speak (MQTT 5 is level 5).</summary>
    UnsupportedProtocolLevel,

    /// <summary>Not a well-formed CONNECT.</summary>
    Malformed,
}

/// <summary>
/// A device's CONNECT (MQTT 3.1.1 §3.1, and 3.1's "MQIsdp" level 3, which has the same layout). Parsed once per
/// connection, so the fields are plain arrays; the gateway re-encodes it for the upstream with its own credentials.
/// </summary>
internal sealed class MqttConnect
{
    public required string ProtocolName { get; init; }

    public required byte ProtocolLevel { get; init; }

    public bool CleanSession { get; init; }

    public ushort KeepAliveSeconds { get; init; }

    public byte[] ClientId { get; init; } = [];

    public bool HasWill { get; init; }

    public byte WillQos { get; init; }

    public bool WillRetain { get; init; }

    public byte[] WillTopic { get; init; } = [];

    public byte[] WillMessage { get; init; } = [];

    /// <summary>Null when the device sent none.</summary>
    public byte[]? UserName { get; init; }

    /// <summary>Null when the device sent none.</summary>
    public byte[]? Password { get; init; }

    /// <summary>Parses a whole CONNECT packet, fixed header included.</summary>
    public static ConnectParseStatus Parse(ReadOnlySequence<byte> packet, out MqttConnect? connect)
    {
        connect = null;
        var reader = new SequenceReader<byte>(packet);

        // CONNECT's fixed-header flags are reserved as 0 (§3.1.1).
        if (!reader.TryRead(out var first) || first != MqttFrame.Connect << 4)
        {
            return ConnectParseStatus.Malformed;
        }

        // The frame was already checked, so the remaining length is skipped, not re-validated.
        byte b;
        do
        {
            if (!reader.TryRead(out b))
            {
                return ConnectParseStatus.Malformed;
            }
        }
        while ((b & 0x80) != 0);

        if (!TryReadField(ref reader, out var name) || !reader.TryRead(out var level))
        {
            return ConnectParseStatus.Malformed;
        }

        var protocol = name.AsSpan() switch
        {
            var n when n.SequenceEqual("MQTT"u8) => "MQTT",
            var n when n.SequenceEqual("MQIsdp"u8) => "MQIsdp",
            _ => null,
        };
        if (protocol is null)
        {
            return ConnectParseStatus.Malformed;
        }

        // Checked before the rest: an MQTT 5 CONNECT has properties after the keepalive that 3.1.1 cannot read,
        // and it must still get its 0x01 answer.
        if (!(protocol == "MQTT" && level == 4) && !(protocol == "MQIsdp" && level == 3))
        {
            return ConnectParseStatus.UnsupportedProtocolLevel;
        }

        if (!reader.TryRead(out var flags) || !reader.TryReadBigEndian(out short keepAlive))
        {
            return ConnectParseStatus.Malformed;
        }

        var hasUser = (flags & 0x80) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var willRetain = (flags & 0x20) != 0;
        var willQos = (byte)((flags >> 3) & 0x03);
        var hasWill = (flags & 0x04) != 0;

        // §3.1.2.3 reserved bit; §3.1.2-11..15 will flags only with a will; §3.1.2-22 no password without a user name.
        if ((flags & 0x01) != 0 || willQos == 3 || (!hasWill && (willQos != 0 || willRetain)) || (hasPassword && !hasUser))
        {
            return ConnectParseStatus.Malformed;
        }

        if (!TryReadField(ref reader, out var clientId))
        {
            return ConnectParseStatus.Malformed;
        }

        byte[] willTopic = [], willMessage = [];
        byte[]? user = null, password = null;
        if ((hasWill && (!TryReadField(ref reader, out willTopic) || !TryReadField(ref reader, out willMessage)))
            || (hasUser && !TryReadField(ref reader, out user))
            || (hasPassword && !TryReadField(ref reader, out password))
            || !reader.End)
        {
            return ConnectParseStatus.Malformed;
        }

        connect = new MqttConnect
        {
            ProtocolName = protocol,
            ProtocolLevel = level,
            CleanSession = (flags & 0x02) != 0,
            KeepAliveSeconds = (ushort)keepAlive,
            ClientId = clientId,
            HasWill = hasWill,
            WillQos = willQos,
            WillRetain = willRetain,
            WillTopic = willTopic,
            WillMessage = willMessage,
            UserName = user,
            Password = password,
        };
        return ConnectParseStatus.Ok;
    }

    /// <summary>
    /// This CONNECT as the gateway sends it upstream: the device's protocol level, client ID, clean-session flag,
    /// keepalive and will, with the given credentials in place of the device's.
    /// </summary>
    public byte[] Encode(byte[]? userName, byte[]? password)
    {
        var name = ProtocolName == "MQTT" ? "MQTT"u8 : "MQIsdp"u8;
        var length = 2 + name.Length + 1 + 1 + 2 + 2 + ClientId.Length;
        if (HasWill)
        {
            length += 2 + WillTopic.Length + 2 + WillMessage.Length;
        }

        if (userName is not null)
        {
            length += 2 + userName.Length;
            if (password is not null)
            {
                length += 2 + password.Length;
            }
        }

        var packet = new byte[1 + MqttFrame.RemainingLengthSize(length) + length];
        packet[0] = MqttFrame.Connect << 4;
        var at = 1 + MqttFrame.WriteRemainingLength(packet.AsSpan(1), length);
        WriteField(packet, ref at, name);
        packet[at++] = ProtocolLevel;
        var flags = (byte)((CleanSession ? 0x02 : 0) | (HasWill ? 0x04 | (WillQos << 3) | (WillRetain ? 0x20 : 0) : 0));
        if (userName is not null)
        {
            flags |= 0x80;
            if (password is not null)
            {
                flags |= 0x40;
            }
        }

        packet[at++] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), KeepAliveSeconds);
        at += 2;
        WriteField(packet, ref at, ClientId);
        if (HasWill)
        {
            WriteField(packet, ref at, WillTopic);
            WriteField(packet, ref at, WillMessage);
        }

        if (userName is not null)
        {
            WriteField(packet, ref at, userName);
            if (password is not null)
            {
                WriteField(packet, ref at, password);
            }
        }

        return packet;
    }

    /// <summary>A CONNACK: <c>20 02 &lt;session present&gt; &lt;code&gt;</c>.</summary>
    public static byte[] ConnAck(ConnectReturnCode code, bool sessionPresent = false) =>
        [MqttFrame.ConnAck << 4, 0x02, sessionPresent ? (byte)1 : (byte)0, (byte)code];

    private static bool TryReadField(ref SequenceReader<byte> reader, out byte[] value)
    {
        value = [];
        if (!reader.TryReadBigEndian(out short length) || reader.Remaining < (ushort)length)
        {
            return false;
        }

        value = new byte[(ushort)length];
        reader.TryCopyTo(value);
        reader.Advance(value.Length);
        return true;
    }

    private static void WriteField(byte[] packet, ref int at, ReadOnlySpan<byte> value)
    {
        // A device's fields arrived with 16-bit lengths; only the entry's own credentials could be longer.
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException("an MQTT string is at most 65,535 bytes", nameof(value));
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)value.Length);
        value.CopyTo(packet.AsSpan(at + 2));
        at += 2 + value.Length;
    }
}
