using System.Buffers.Binary;
using System.Text;
using Gateway.Beam.Mqtt;

namespace Gateway.RandomInput.Targets;

/// <summary>MQTT 3.1.1 packets to start mutations from, built field by field.</summary>
internal static class MqttSamples
{
    public static byte[][] All { get; } =
    [
        Connect("MQTT", 4, 0x02, 60, "device-1", will: null, user: null, password: null),
        Connect("MQTT", 4, 0xC2 | 0x04 | 0x08 | 0x20, 30, "dev", will: ("status/dev", "offline"), user: "u", password: "p"),
        Connect("MQIsdp", 3, 0x80, 0, "", will: null, user: "user-only", password: null),
        Connect("MQTT", 5, 0x02, 60, "v5", will: null, user: null, password: null),
        Packet(0x30, [.. Field("sensors/temp"), .. "{\"t\":21.5}"u8]),
        Packet(0x32, [.. Field("a/b"), 0x00, 0x01, .. "payload"u8]),
        Packet(0x3D, [.. Field(""), 0xFF, 0xFF]),
        Packet(0x82, [0x00, 0x02, .. Field("a/#"), 0x01]),
        [0xC0, 0x00],
        [0xE0, 0x00],
        [.. Connect("MQTT", 4, 0x02, 60, "c", null, null, null), .. Packet(0x30, [.. Field("t"), 1, 2, 3]), 0xE0, 0x00],

        // MQTT 5 with properties (§2.2.2): CONNECT with session expiry, receive maximum, maximum packet size, a user
        // property and a will with its delay and format; PUBLISH, SUBSCRIBE, PUBREL and DISCONNECT with theirs.
        Packet(0x10, [.. Field("MQTT"), 5, 0x06, 0, 60, .. Properties([0x11, 0, 0, 0, 10, 0x21, 0, 10, 0x27, 0, 0, 0x10, 0, 0x26, .. Field("k"), .. Field("v")]),
            .. Field("v5-will"), .. Properties([0x18, 0, 0, 0, 5, 0x01, 1]), .. Field("status/v5"), .. Field("gone")]),
        Packet(0x32, [.. Field("t/1"), 0, 7, .. Properties([0x01, 1, 0x03, .. Field("application/json"), 0x26, .. Field("a"), .. Field("b")]), .. "{}"u8]),
        Packet(0x82, [0, 9, .. Properties([0x0B, 0x81, 0x01]), .. Field("x/+"), 0x2E]),
        Packet(0x62, [0, 7, 0x92, 0]),
        [0xE0, 0x02, 0x04, 0x00],
    ];

    public static byte[][] Tokens { get; } =
    [
        [0x10], [0x30], [0x32], [0x3F], [0xE0, 0x00], [0x80, 0x80, 0x80, 0x80], [0xFF, 0xFF, 0xFF, 0x7F], [0x00, 0x00],
        [0xFF, 0xFF], "MQTT"u8.ToArray(), "MQIsdp"u8.ToArray(), [0x04], [0x05],
    ];

    /// <summary>A packet with the right remaining length in front of <paramref name="body"/>.</summary>
    public static byte[] Packet(byte first, ReadOnlySpan<byte> body)
    {
        Span<byte> length = stackalloc byte[4];
        var size = MqttFrame.WriteRemainingLength(length, body.Length);
        return [first, .. length[..size], .. body];
    }

    private static byte[] Connect(string protocol, byte level, byte flags, ushort keepAlive, string clientId, (string Topic, string Message)? will, string? user, string? password)
    {
        var body = new List<byte>();
        body.AddRange(Field(protocol));
        body.Add(level);
        body.Add(flags);
        body.Add((byte)(keepAlive >> 8));
        body.Add((byte)keepAlive);
        body.AddRange(Field(clientId));
        if (will is { } w)
        {
            body.AddRange(Field(w.Topic));
            body.AddRange(Field(w.Message));
        }

        if (user is not null)
        {
            body.AddRange(Field(user));
        }

        if (password is not null)
        {
            body.AddRange(Field(password));
        }

        return Packet(0x10, [.. body]);
    }

    /// <summary>A property list: its variable-length size, then the properties.</summary>
    private static byte[] Properties(ReadOnlySpan<byte> properties)
    {
        Span<byte> length = stackalloc byte[4];
        var size = MqttFrame.WriteRemainingLength(length, properties.Length);
        return [.. length[..size], .. properties];
    }

    private static byte[] Field(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var field = new byte[2 + bytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(field, (ushort)bytes.Length);
        bytes.CopyTo(field, 2);
        return field;
    }
}
