using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>The two encodings every hand-built MQTT packet in the tests needs (MQTT 3.1.1 §1.5.3 and §2.2.3).</summary>
internal static class MqttPacketWriter
{
    /// <summary>A whole packet: the first byte, the body's length as a variable byte integer, the body.</summary>
    public static byte[] Packet(byte first, List<byte> body)
    {
        var packet = new List<byte> { first };
        var length = body.Count;
        do
        {
            var b = (byte)(length % 128);
            length /= 128;
            packet.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);

        packet.AddRange(body);
        return [.. packet];
    }

    /// <summary>A UTF-8 string with its two-byte big-endian length.</summary>
    public static void String(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }
}
