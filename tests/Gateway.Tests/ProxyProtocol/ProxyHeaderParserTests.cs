using System.Net;
using System.Text;
using Gateway.ProxyProtocol;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>The PROXY header parser on exact bytes: both versions, every family, TLVs, and every truncation point.</summary>
public sealed class ProxyHeaderParserTests
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n");

    private static ProxyHeader Done(byte[] bytes)
    {
        var status = ProxyHeaderParser.TryParse(bytes, out var header, out var reason);
        Assert.True(status == ProxyParseStatus.Done, $"{status} ({reason})");
        return header;
    }

    private static ProxyRejectReason Rejected(byte[] bytes)
    {
        Assert.Equal(ProxyParseStatus.Rejected, ProxyHeaderParser.TryParse(bytes, out _, out var reason));
        return reason;
    }

    /// <summary>Every proper prefix of a header asks for more; the whole asks for nothing past itself.</summary>
    private static void AssertEveryPrefixIsIncomplete(byte[] header)
    {
        for (var i = 0; i < header.Length; i++)
        {
            Assert.True(ProxyHeaderParser.TryParse(header.AsSpan(0, i), out _, out var reason) == ProxyParseStatus.Incomplete, $"prefix of {i} bytes: {reason}");
        }
    }

    [Fact]
    public void V1_tcp4_names_the_source_and_is_consumed_up_to_its_line_end_only()
    {
        var header = "PROXY TCP4 192.0.2.7 127.0.0.1 40001 8888\r\n"u8.ToArray();
        var parsed = Done([.. header, .. Request]);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40001), parsed.Source);
        Assert.Equal(header.Length, parsed.Length);
        AssertEveryPrefixIsIncomplete(header);
    }

    [Fact]
    public void V1_tcp6_names_the_source()
    {
        var header = "PROXY TCP6 2001:db8::7 ::1 65535 8888\r\n"u8.ToArray();
        var parsed = Done(header);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 65535), parsed.Source);
        Assert.Equal(header.Length, parsed.Length);
        AssertEveryPrefixIsIncomplete(header);
    }

    [Fact]
    public void V1_tcp6_with_an_ipv4_mapped_source_is_the_ipv4_address()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.9"), Done("PROXY TCP6 ::ffff:192.0.2.9 ::1 1 2\r\n"u8.ToArray()).Source!.Address);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")]
    public void V1_unknown_keeps_the_proxy_address(string line)
    {
        var parsed = Done(Encoding.ASCII.GetBytes(line + "GET"));
        Assert.Null(parsed.Source);
        Assert.Equal(line.Length, parsed.Length);
    }

    [Fact]
    public void V1_at_the_107_byte_limit_is_taken_and_one_byte_past_it_is_oversized()
    {
        // The longest legal line: TCP6 with two 39-character addresses and two 5-digit ports is 104 bytes; padding
        // the UNKNOWN form (whose rest is ignored) reaches the limit exactly.
        var limit = "PROXY UNKNOWN " + new string('x', 107 - 16) + "\r\n";
        Assert.Equal(107, limit.Length);
        Assert.Equal(107, Done(Encoding.ASCII.GetBytes(limit)).Length);

        var over = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('x', 107 - 15) + "\r\n");
        Assert.Equal(ProxyRejectReason.Oversized, Rejected(over));

        // Decided as soon as 107 bytes have come without a line end, not when the line finally ends.
        Assert.Equal(ProxyRejectReason.Oversized, Rejected(over.AsSpan(0, 107).ToArray()));
        Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaderParser.TryParse(over.AsSpan(0, 106), out _, out _));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 40001\r\n")]          // a field short
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 40001 8888 9\r\n")]   // a field too many
    [InlineData("PROXY TCP4 192.0.2.7  127.0.0.1 40001 8888\r\n")]    // two spaces
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 40001 8888 \r\n")]    // trailing space
    [InlineData("PROXY TCP4 192.0.2.256 127.0.0.1 1 2\r\n")]          // octet over 255
    [InlineData("PROXY TCP4 192.0.2.07 127.0.0.1 1 2\r\n")]           // leading zero (octal to some readers)
    [InlineData("PROXY TCP4 127.1 127.0.0.1 1 2\r\n")]                // short form
    [InlineData("PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n")]          // family mismatch
    [InlineData("PROXY TCP6 192.0.2.7 ::1 1 2\r\n")]                  // family mismatch
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")]               // zone
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 65536 8888\r\n")]     // port over 65535
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 0400 8888\r\n")]      // leading zero
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 -1 8888\r\n")]        // sign
    [InlineData("PROXY UDP4 192.0.2.7 127.0.0.1 1 2\r\n")]            // no such protocol
    [InlineData("PROXY UNKNOWNX\r\n")]                                // not UNKNOWN
    [InlineData("PROXY TCP4 192.0.2.7 127.0.0.1 1 2\n")]              // bare LF
    [InlineData("PROXY \r\n")]                                        // empty
    public void V1_lines_the_specification_does_not_allow_are_malformed(string line)
    {
        Assert.Equal(ProxyRejectReason.Malformed, Rejected(Encoding.ASCII.GetBytes(line)));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PROXX TCP4")]
    [InlineData("proxy TCP4 192.0.2.7 127.0.0.1 1 2\r\n")]
    [InlineData("PROXYTCP4")]
    [InlineData("\u0010\u0000\u0004MQTT")]
    public void Anything_not_beginning_with_a_signature_is_missing_a_header(string start)
    {
        Assert.Equal(ProxyRejectReason.Missing, Rejected(Encoding.Latin1.GetBytes(start)));
    }

    [Fact]
    public void V2_proxy_over_ipv4_names_the_source_and_is_consumed_exactly()
    {
        var header = ProxyHeaderBytes.V2Proxy("198.51.100.20", 50000, "203.0.113.1", 8888);
        Assert.Equal(
            "0D0A0D0A000D0A515549540A" + "21" + "11" + "000C" + "C6336414" + "CB007101" + "C350" + "22B8",
            Convert.ToHexString(header));
        var parsed = Done([.. header, .. Request]);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.20"), 50000), parsed.Source);
        Assert.Equal(28, parsed.Length);
        AssertEveryPrefixIsIncomplete(header);
    }

    [Fact]
    public void V2_proxy_over_ipv6_names_the_source()
    {
        var header = ProxyHeaderBytes.V2Proxy("2001:db8::20", 1, "2001:db8::1", 8888);
        Assert.Equal(16 + 36, header.Length);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::20"), 1), Done(header).Source);
        AssertEveryPrefixIsIncomplete(header);
    }

    [Fact]
    public void V2_tlvs_are_skipped_and_counted_in_the_length()
    {
        // AWS's VPC endpoint ID (0xEA), an authority (0x02) and an empty NOOP (0x04).
        byte[] tlvs = [.. ProxyHeaderBytes.Tlv(0xEA, [0x01, .. "vpce-0123456789abcdef0"u8]), .. ProxyHeaderBytes.Tlv(0x02, "devices.example"u8.ToArray()), .. ProxyHeaderBytes.Tlv(0x04, [])];
        var header = ProxyHeaderBytes.V2Proxy("198.51.100.21", 2, tlvs: tlvs);
        var parsed = Done([.. header, .. Request]);
        Assert.Equal(header.Length, parsed.Length);
        Assert.Equal(IPAddress.Parse("198.51.100.21"), parsed.Source!.Address);
        AssertEveryPrefixIsIncomplete(header);
    }

    [Fact]
    public void V2_tlv_running_past_the_declared_length_is_malformed()
    {
        byte[] tlv = [0x02, 0x00, 0x10, (byte)'a'];
        Assert.Equal(ProxyRejectReason.Malformed, Rejected(ProxyHeaderBytes.V2Proxy("198.51.100.22", tlvs: tlv)));
        Assert.Equal(ProxyRejectReason.Malformed, Rejected(ProxyHeaderBytes.V2Proxy("198.51.100.22", tlvs: [0x02, 0x00])));
    }

    [Fact]
    public void V2_local_keeps_the_proxy_address_and_skips_its_payload()
    {
        var bare = ProxyHeaderBytes.V2Local();
        Assert.Equal("0D0A0D0A000D0A515549540A" + "20" + "00" + "0000", Convert.ToHexString(bare));
        var parsed = Done([.. bare, .. Request]);
        Assert.Null(parsed.Source);
        Assert.Equal(16, parsed.Length);
        AssertEveryPrefixIsIncomplete(bare);

        // A LOCAL header may still carry addresses (or anything): ignored, but consumed.
        var withAddresses = ProxyHeaderBytes.V2(0x20, 0x11, new byte[12]);
        Assert.Equal(28, Done(withAddresses).Length);
        Assert.Null(Done(withAddresses).Source);
    }

    [Theory]
    [InlineData(0x31)] // AF_UNIX, STREAM
    [InlineData(0x32)] // AF_UNIX, DGRAM
    [InlineData(0x00)] // UNSPEC with a PROXY command
    [InlineData(0x12)] // AF_INET, DGRAM
    [InlineData(0x10)] // AF_INET, UNSPEC transport
    [InlineData(0x22)] // AF_INET6, DGRAM
    [InlineData(0x41)] // no such family
    public void V2_proxy_for_a_family_other_than_tcp_over_ip_is_unsupported(byte family)
    {
        Assert.Equal(ProxyRejectReason.UnsupportedFamily, Rejected(ProxyHeaderBytes.V2(0x21, family, new byte[216])));
    }

    [Theory]
    [InlineData(0x11, 11)] // IPv4 addresses one byte short
    [InlineData(0x21, 35)] // IPv6 addresses one byte short
    public void V2_address_block_shorter_than_its_family_is_malformed(byte family, int length)
    {
        Assert.Equal(ProxyRejectReason.Malformed, Rejected(ProxyHeaderBytes.V2(0x21, family, new byte[length])));
    }

    [Theory]
    [InlineData(0x11)] // version 1 in the binary form
    [InlineData(0x31)] // version 3
    [InlineData(0x22)] // command 2
    [InlineData(0x2F)] // command 15
    public void V2_unknown_version_or_command_is_malformed(byte versionCommand)
    {
        Assert.Equal(ProxyRejectReason.Malformed, Rejected(ProxyHeaderBytes.V2(versionCommand, 0x11, new byte[12])));
    }

    [Fact]
    public void V2_length_past_the_bound_is_oversized_as_soon_as_the_fixed_part_is_in()
    {
        var fixedPart = ProxyHeaderBytes.V2(0x21, 0x11, [], declaredLength: ProxyHeaderParser.MaxV2PayloadBytes + 1);
        Assert.Equal(16, fixedPart.Length);
        Assert.Equal(ProxyRejectReason.Oversized, Rejected(fixedPart));
        Assert.Equal(ProxyRejectReason.Oversized, Rejected(ProxyHeaderBytes.V2(0x21, 0x11, [], declaredLength: 0xFFFF)));

        // At the bound: taken (addresses and one TLV filling the rest).
        var tlv = ProxyHeaderBytes.Tlv(0x04, new byte[ProxyHeaderParser.MaxV2PayloadBytes - 12 - 3]);
        Assert.Equal(ProxyHeaderParser.MaxHeaderBytes, Done(ProxyHeaderBytes.V2Proxy("198.51.100.23", tlvs: tlv)).Length);
    }

    [Fact]
    public void V2_signature_with_a_wrong_byte_is_missing_at_the_first_wrong_byte()
    {
        for (var i = 1; i < ProxyHeaderBytes.V2Signature.Length; i++)
        {
            var bytes = ProxyHeaderBytes.V2Signature.AsSpan(0, i + 1).ToArray();
            bytes[i] ^= 0x40;
            Assert.Equal(ProxyRejectReason.Missing, Rejected(bytes));
        }
    }
}
