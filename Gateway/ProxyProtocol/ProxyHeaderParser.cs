using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.ProxyProtocol;

/// <summary>
/// Reads the PROXY protocol header a load balancer puts in front of a connection (HAProxy's specification, versions 1
/// and 2), told apart by their signatures. It is strict where the specification is (one space between v1 fields, no
/// leading zeros in a port, only TCP over IPv4/IPv6 for a PROXY command) because a header that is nearly right is
/// more likely a proxy misconfigured than a dialect worth guessing at. TLVs are skipped: their total is bounded by
/// <see cref="MaxV2PayloadBytes"/>.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>The longest v1 line the specification allows, "\r\n" included.</summary>
    public const int MaxV1Bytes = 107;

    /// <summary>
    /// The longest v2 payload (addresses and TLVs) taken. The field allows 65,535 bytes; what balancers send is tens
    /// (addresses, a VPC endpoint or link ID) to a few hundred (TLS details): anything near this is not a header.
    /// </summary>
    public const int MaxV2PayloadBytes = 2048;

    /// <summary>The fixed part of a v2 header: signature, version and command, family, length.</summary>
    public const int V2FixedBytes = 16;

    /// <summary>The most bytes a header can take: a parser never needs more than this to decide.</summary>
    public const int MaxHeaderBytes = V2FixedBytes + MaxV2PayloadBytes;

    private static ReadOnlySpan<byte> V1Signature => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Parses the start of a connection; <paramref name="header"/> is set when the result is <see cref="ProxyParseStatus.Done"/>.</summary>
    public static ProxyParseStatus TryParse(ReadOnlySpan<byte> bytes, out ProxyHeader header, out ProxyRejectReason reason)
    {
        header = default;
        reason = default;
        if (bytes.IsEmpty)
        {
            return ProxyParseStatus.Incomplete;
        }

        return bytes[0] == V1Signature[0] ? ParseV1(bytes, out header, out reason)
            : bytes[0] == V2Signature[0] ? ParseV2(bytes, out header, out reason)
            : Reject(ProxyRejectReason.Missing, out reason);
    }

    private static ProxyParseStatus ParseV1(ReadOnlySpan<byte> bytes, out ProxyHeader header, out ProxyRejectReason reason)
    {
        header = default;
        reason = default;
        if (!MatchesSoFar(bytes, V1Signature))
        {
            return Reject(ProxyRejectReason.Missing, out reason);
        }

        var window = bytes[..Math.Min(bytes.Length, MaxV1Bytes)];
        var lf = window.IndexOf((byte)'\n');
        if (lf < 0)
        {
            return bytes.Length >= MaxV1Bytes ? Reject(ProxyRejectReason.Oversized, out reason) : ProxyParseStatus.Incomplete;
        }

        if (lf < V1Signature.Length || bytes[lf - 1] != '\r')
        {
            return Reject(ProxyRejectReason.Malformed, out reason);
        }

        var line = bytes[V1Signature.Length..(lf - 1)];
        var length = lf + 1;
        if (line.StartsWith("UNKNOWN"u8) && (line.Length == 7 || line[7] == ' '))
        {
            // The proxy could not tell (or will not say) who connected: the receiver ignores the rest of the line.
            header = new ProxyHeader(null, length);
            return ProxyParseStatus.Done;
        }

        var v6 = line.StartsWith("TCP6 "u8);
        if (!v6 && !line.StartsWith("TCP4 "u8))
        {
            return Reject(ProxyRejectReason.Malformed, out reason);
        }

        // "TCP4 <source> <destination> <source port> <destination port>", one space apart.
        var fields = line[5..];
        Span<Range> parts = stackalloc Range[4];
        if (!TrySplit(fields, parts)
            || !TryAddress(fields[parts[0]], v6, out var source)
            || !TryAddress(fields[parts[1]], v6, out _)
            || !TryPort(fields[parts[2]], out var port)
            || !TryPort(fields[parts[3]], out _))
        {
            return Reject(ProxyRejectReason.Malformed, out reason);
        }

        header = new ProxyHeader(new IPEndPoint(Net.AddressRanges.Unmap(source), port), length);
        return ProxyParseStatus.Done;
    }

    private static ProxyParseStatus ParseV2(ReadOnlySpan<byte> bytes, out ProxyHeader header, out ProxyRejectReason reason)
    {
        header = default;
        reason = default;
        if (!MatchesSoFar(bytes, V2Signature))
        {
            return Reject(ProxyRejectReason.Missing, out reason);
        }

        if (bytes.Length < V2FixedBytes)
        {
            return ProxyParseStatus.Incomplete;
        }

        // Version 2 only; commands LOCAL (0) and PROXY (1) only: anything else is a future the receiver cannot read.
        var version = bytes[12] >> 4;
        var command = bytes[12] & 0x0F;
        if (version != 2 || command > 1)
        {
            return Reject(ProxyRejectReason.Malformed, out reason);
        }

        // Decided before the payload arrives, so an oversized header is refused without waiting for it.
        var payload = BinaryPrimitives.ReadUInt16BigEndian(bytes[14..]);
        if (payload > MaxV2PayloadBytes)
        {
            return Reject(ProxyRejectReason.Oversized, out reason);
        }

        var length = V2FixedBytes + payload;
        if (bytes.Length < length)
        {
            return ProxyParseStatus.Incomplete;
        }

        if (command == 0)
        {
            // LOCAL: the proxy's own connection (a health check); whatever the address block says is ignored.
            header = new ProxyHeader(null, length);
            return ProxyParseStatus.Done;
        }

        var body = bytes[V2FixedBytes..length];
        if (!TryV2Source(bytes[13], body, out var source, out var addresses, out reason))
        {
            return ProxyParseStatus.Rejected;
        }

        if (!TlvsFit(body[addresses..]))
        {
            return Reject(ProxyRejectReason.Malformed, out reason);
        }

        header = new ProxyHeader(source, length);
        return ProxyParseStatus.Done;
    }

    /// <summary>True when what has arrived agrees with <paramref name="signature"/>: all of it, or as much as has come.</summary>
    private static bool MatchesSoFar(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> signature)
    {
        var length = Math.Min(bytes.Length, signature.Length);
        return bytes[..length].SequenceEqual(signature[..length]);
    }

    /// <summary>The source of a PROXY command's address block: TCP over IPv4 (12 bytes) or IPv6 (36 bytes).</summary>
    private static bool TryV2Source(byte family, ReadOnlySpan<byte> body, out IPEndPoint? source, out int addresses, out ProxyRejectReason reason)
    {
        source = null;
        reason = default;
        addresses = family switch
        {
            0x11 => 12, // AF_INET, STREAM: source, destination, source port, destination port
            0x21 => 36, // AF_INET6, STREAM
            _ => -1,    // UNSPEC, AF_UNIX, datagrams: nothing a device port can be reached by
        };
        if (addresses < 0)
        {
            reason = ProxyRejectReason.UnsupportedFamily;
            return false;
        }

        if (body.Length < addresses)
        {
            reason = ProxyRejectReason.Malformed;
            return false;
        }

        var size = addresses == 12 ? 4 : 16;
        var address = new IPAddress(body[..size]);
        var port = BinaryPrimitives.ReadUInt16BigEndian(body[(2 * size)..]);
        source = new IPEndPoint(Net.AddressRanges.Unmap(address), port);
        return true;
    }

    /// <summary>True when the TLVs after the addresses each fit in what is left (their content is not read).</summary>
    private static bool TlvsFit(ReadOnlySpan<byte> tlvs)
    {
        while (!tlvs.IsEmpty)
        {
            if (tlvs.Length < 3)
            {
                return false;
            }

            var next = 3 + BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..]);
            if (next > tlvs.Length)
            {
                return false;
            }

            tlvs = tlvs[next..];
        }

        return true;
    }

    /// <summary>Exactly <c>parts.Length</c> non-empty fields, each one <paramref name="separator"/> apart.</summary>
    private static bool TrySplit(ReadOnlySpan<byte> text, Span<Range> parts, byte separator = (byte)' ')
    {
        var start = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            int end;
            if (i < parts.Length - 1)
            {
                var at = text[start..].IndexOf(separator);
                if (at <= 0)
                {
                    return false;
                }

                end = start + at;
            }
            else
            {
                end = text.Length;
                if (end <= start || text[start..].Contains(separator))
                {
                    return false;
                }
            }

            parts[i] = start..end;
            start = end + 1;
        }

        return true;
    }

    /// <summary>
    /// A v1 address in its plain form: dotted quad for TCP4 (IPAddress would also take "127.1" or "0x7f.1"), hex and
    /// colons (an embedded dotted quad allowed) for TCP6, no zone.
    /// </summary>
    private static bool TryAddress(ReadOnlySpan<byte> text, bool v6, out IPAddress address)
    {
        if (!v6)
        {
            return TryDottedQuad(text, out address);
        }

        address = IPAddress.None;
        if (text.IsEmpty || text.Length > 45)
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = (char)text[i];
            if (!char.IsAsciiHexDigit(c) && c is not ('.' or ':'))
            {
                return false;
            }

            chars[i] = c;
        }

        if (!IPAddress.TryParse(chars, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Four decimal octets, each 0 to 255 with no leading zero (which IPAddress would read as octal).</summary>
    private static bool TryDottedQuad(ReadOnlySpan<byte> text, out IPAddress address)
    {
        address = IPAddress.None;
        Span<Range> parts = stackalloc Range[4];
        if (!TrySplit(text, parts, (byte)'.'))
        {
            return false;
        }

        Span<byte> octets = stackalloc byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (!TryDecimal(text[parts[i]], 3, out var value) || value > 255)
            {
                return false;
            }

            octets[i] = (byte)value;
        }

        address = new IPAddress(octets);
        return true;
    }

    /// <summary>A decimal port, 0 to 65535, with no leading zero.</summary>
    private static bool TryPort(ReadOnlySpan<byte> text, out int port) => TryDecimal(text, 5, out port) && port <= 65535;

    /// <summary>One to <paramref name="maxDigits"/> decimal digits, no leading zero.</summary>
    private static bool TryDecimal(ReadOnlySpan<byte> text, int maxDigits, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > maxDigits || (text[0] == '0' && text.Length > 1))
        {
            return false;
        }

        foreach (var b in text)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static ProxyParseStatus Reject(ProxyRejectReason why, out ProxyRejectReason reason)
    {
        reason = why;
        return ProxyParseStatus.Rejected;
    }
}
