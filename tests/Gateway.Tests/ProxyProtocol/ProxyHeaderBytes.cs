using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>PROXY headers as a load balancer writes them, byte by byte from the specification, for the tests to send.</summary>
internal static class ProxyHeaderBytes
{
    public static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>A v1 line: "PROXY " + <paramref name="rest"/> + CRLF.</summary>
    public static byte[] V1(string rest) => Encoding.ASCII.GetBytes($"PROXY {rest}\r\n");

    /// <summary>A v1 TCP4 line from <paramref name="source"/>:<paramref name="port"/> to 127.0.0.1:8888.</summary>
    public static byte[] V1Tcp4(string source, int port = 40001) => V1($"TCP4 {source} 127.0.0.1 {port} 8888");

    /// <summary>A v2 PROXY header over TCP for IPv4 or IPv6 (by the source's family), with optional TLVs after the addresses.</summary>
    public static byte[] V2Proxy(string source, int sourcePort = 40002, string? destination = null, int destinationPort = 8888, byte[]? tlvs = null)
    {
        var src = IPAddress.Parse(source);
        var v6 = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var dst = IPAddress.Parse(destination ?? (v6 ? "::1" : "127.0.0.1"));
        var addresses = new List<byte>();
        addresses.AddRange(src.GetAddressBytes());
        addresses.AddRange(dst.GetAddressBytes());
        addresses.AddRange(Port(sourcePort));
        addresses.AddRange(Port(destinationPort));
        return V2(0x21, v6 ? (byte)0x21 : (byte)0x11, [.. addresses, .. tlvs ?? []]);
    }

    /// <summary>A v2 LOCAL header (a health check), with <paramref name="payload"/> after the fixed part.</summary>
    public static byte[] V2Local(byte[]? payload = null) => V2(0x20, 0x00, payload ?? []);

    /// <summary>Any v2 header: version and command byte, family and transport byte, then the payload and its length.</summary>
    public static byte[] V2(byte versionCommand, byte family, byte[] payload, int? declaredLength = null)
    {
        var header = new byte[16 + payload.Length];
        V2Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = family;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(declaredLength ?? payload.Length));
        payload.CopyTo(header, 16);
        return header;
    }

    /// <summary>One TLV: type, 16-bit length, value.</summary>
    public static byte[] Tlv(byte type, byte[] value) => [type, .. Port(value.Length), .. value];

    private static byte[] Port(int value) => [(byte)(value >> 8), (byte)value];
}
