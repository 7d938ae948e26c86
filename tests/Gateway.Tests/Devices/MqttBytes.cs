using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Devices;

/// <summary>MQTT packets built by hand from the 3.1.1 and 5.0 specifications, and a raw client bound to a chosen source address.</summary>
internal static class MqttBytes
{
    public static readonly byte[] Disconnect = [0xE0, 0x00];

    /// <summary>CONNECT; level 4 is 3.1.1, level 5 adds the property list (<paramref name="properties"/>, empty unless given).</summary>
    public static byte[] Connect(string clientId, byte level, bool clean = true, (string Topic, string Message)? will = null, ushort keepAlive = 30, byte[]? properties = null)
    {
        var body = new List<byte>();
        String(body, "MQTT");
        body.Add(level);
        body.Add((byte)((clean ? 0x02 : 0) | (will is null ? 0 : 0x04)));
        body.AddRange([(byte)(keepAlive >> 8), (byte)keepAlive]);
        if (level == 5)
        {
            body.Add((byte)(properties?.Length ?? 0));
            body.AddRange(properties ?? []);
        }

        String(body, clientId);
        if (will is { } w)
        {
            if (level == 5)
            {
                body.Add(0);
            }

            String(body, w.Topic);
            String(body, w.Message);
        }

        return Packet(0x10, body);
    }

    public static byte[] Publish(string topic, string payload, int qos, ushort packetId, byte level, bool dup = false)
    {
        var body = new List<byte>();
        String(body, topic);
        if (qos > 0)
        {
            body.Add((byte)(packetId >> 8));
            body.Add((byte)packetId);
        }

        if (level == 5)
        {
            body.Add(0);
        }

        body.AddRange(Encoding.UTF8.GetBytes(payload));
        return Packet((byte)(0x30 | (dup ? 0x08 : 0) | (qos << 1)), body);
    }

    /// <summary>Any packet: its first byte and body, with the remaining length between.</summary>
    public static byte[] Raw(byte first, params byte[] body) => Packet(first, [.. body]);

    public static byte[] Subscribe(string filter, ushort packetId, byte level)
    {
        var body = new List<byte> { (byte)(packetId >> 8), (byte)packetId };
        if (level == 5)
        {
            body.Add(0);
        }

        String(body, filter);
        body.Add(1);
        return Packet(0x82, body);
    }

    public static async Task<TcpClient> RawAsync(string source, int port)
    {
        var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        return client;
    }

    /// <summary>Reads one whole packet (fixed header included), or null when the connection ends first; bounded to 10 s unless told.</summary>
    public static async Task<byte[]?> ReadPacketAsync(Stream stream, TimeSpan? limit = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit ?? TimeSpan.FromSeconds(10));
        var packet = new List<byte>();
        var one = new byte[1];
        try
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                return null;
            }

            packet.Add(one[0]);
            int length = 0, shift = 0;
            do
            {
                await stream.ReadExactlyAsync(one, timeout.Token);
                packet.Add(one[0]);
                length |= (one[0] & 0x7F) << shift;
                shift += 7;
            }
            while ((one[0] & 0x80) != 0);

            var body = new byte[length];
            await stream.ReadExactlyAsync(body, timeout.Token);
            packet.AddRange(body);
            return [.. packet];
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            return null;
        }
    }

    private static byte[] Packet(byte first, List<byte> body) => Infrastructure.MqttPacketWriter.Packet(first, body);

    private static void String(List<byte> body, string value) => Infrastructure.MqttPacketWriter.String(body, value);
}
