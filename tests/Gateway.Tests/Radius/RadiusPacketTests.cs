using System.Buffers.Binary;
using System.Net;
using System.Text;
using Gateway.Radius;

namespace Gateway.Tests.Radius;

/// <summary>The codec alone: building, parsing, the RFC 2866 authenticators, and every malformed shape.</summary>
public sealed class RadiusPacketTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("testing123");

    // An Accounting-Request exactly as Debian's radclient 3.2.1 sent it with secret "testing123" (identifier 114):
    // Start, Framed-IP-Address 127.0.0.5, Calling-Station-Id, 3GPP-IMSI, 3GPP-IMEISV, Acct-Session-Id "s1".
    private static readonly byte[] s_radclientStart = Convert.FromHexString(
        "047200615457b1baebaeb2cd834e6bfef2f1326c28060000000108067f0000051f0e3831393031323334353637381a17000028af01" +
        "113434303130313233343536373839301a18000028af1412333533343930303631323334353630312c047331");

    private static byte[] BuildStart(byte identifier = 7)
    {
        var buffer = new byte[RadiusPacket.MaxLength];
        var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, identifier);
        w.WriteUInt32(RadiusAttributeType.AcctStatusType, (uint)AcctStatusType.Start);
        w.WriteIPv4(RadiusAttributeType.FramedIpAddress, IPAddress.Parse("10.1.2.3"));
        w.WriteString(RadiusAttributeType.CallingStationId, "819012345678");
        w.WriteString(RadiusAttributeType.UserName, "sora");
        w.WriteString(RadiusAttributeType.AcctSessionId, "session-1");
        w.WriteIPv4(RadiusAttributeType.NasIpAddress, IPAddress.Parse("192.0.2.1"));
        w.WriteString(RadiusAttributeType.NasIdentifier, "pgw-1");
        w.WriteUInt32(RadiusAttributeType.EventTimestamp, 1_700_000_000);
        w.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImsi, "440101234567890");
        w.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImeisv, "3534900612345601");
        var length = w.FinishAccountingRequest(s_secret);
        return buffer[..length];
    }

    [Fact]
    public void A_built_accounting_request_parses_back_to_the_same_attributes()
    {
        var bytes = BuildStart();

        var packet = RadiusPacket.Parse(bytes);

        Assert.Equal(RadiusCode.AccountingRequest, packet.Code);
        Assert.Equal(7, packet.Identifier);
        Assert.Equal(bytes.Length, packet.Length);
        Assert.Equal(10, packet.Attributes.Count);
        Assert.True(RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, s_secret));
        var client = new IPEndPoint(IPAddress.Loopback, 40000);
        var at = DateTimeOffset.UnixEpoch;
        Assert.True(AccountingEvent.TryCreate(packet, client, at, out var e, out _));
        Assert.Equal(
            new AccountingEvent(AcctStatusType.Start, IPAddress.Parse("10.1.2.3"), "440101234567890", "3534900612345601", "353490061234569",
                "819012345678", "sora", "session-1", "pgw-1", IPAddress.Parse("192.0.2.1"), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), client, at),
            e);
    }

    [Fact]
    public void Radclients_request_authenticator_verifies_and_a_wrong_secret_does_not()
    {
        Assert.True(RadiusAuthenticator.VerifyAccountingRequest(s_radclientStart, s_secret));
        Assert.False(RadiusAuthenticator.VerifyAccountingRequest(s_radclientStart, "testing124"u8));

        var tampered = (byte[])s_radclientStart.Clone();
        tampered[^1] ^= 1;
        Assert.False(RadiusAuthenticator.VerifyAccountingRequest(tampered, s_secret));
    }

    [Fact]
    public void The_request_authenticator_is_md5_over_the_packet_with_16_zero_octets_and_the_secret()
    {
        var packet = (byte[])s_radclientStart.Clone();
        packet.AsSpan(4, 16).Fill(0xAA);
        var computed = new byte[16];

        RadiusAuthenticator.ComputeAccountingRequest(packet, s_secret, computed);

        Assert.Equal("5457b1baebaeb2cd834e6bfef2f1326c", Convert.ToHexStringLower(computed));
    }

    [Fact]
    public void Radclients_packet_reads_as_the_event_it_describes()
    {
        var packet = RadiusPacket.Parse(s_radclientStart);
        Assert.True(AccountingEvent.TryCreate(packet, new IPEndPoint(IPAddress.Loopback, 1), DateTimeOffset.UnixEpoch, out var e, out _));

        Assert.Equal(AcctStatusType.Start, e.StatusType);
        Assert.Equal(IPAddress.Parse("127.0.0.5"), e.FramedIpAddress);
        Assert.Equal("819012345678", e.Msisdn);
        Assert.Equal("440101234567890", e.Imsi);
        Assert.Equal("3534900612345601", e.Imeisv);
        Assert.Equal("353490061234569", e.Imei);
        Assert.Equal("s1", e.SessionId);
        Assert.Null(e.NasIdentifier);
        Assert.Equal(2, packet.VendorAttributes.Count);
        Assert.All(packet.VendorAttributes, v => Assert.Equal(10415u, v.VendorId));
    }

    [Fact]
    public void The_accounting_response_authenticator_is_md5_over_the_response_with_the_request_authenticator()
    {
        var request = RadiusPacket.Parse(s_radclientStart);
        var response = new byte[20];

        var length = new RadiusPacketWriter(response, RadiusCode.AccountingResponse, request.Identifier).FinishResponse(request.Authenticator.Span, s_secret);

        Assert.Equal(20, length);
        // Expected value from Python's hashlib over 05 72 0014 + request authenticator + "testing123".
        Assert.Equal("05720014f44287695aae22b9481f2c7eba9c1ff9", Convert.ToHexStringLower(response));
    }

    [Fact]
    public void Octets_past_the_length_field_are_padding()
    {
        var padded = s_radclientStart.Concat(new byte[] { 1, 2, 3 }).ToArray();

        var packet = RadiusPacket.Parse(padded);

        Assert.Equal(s_radclientStart.Length, packet.Length);
        Assert.True(RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, s_secret));
    }

    public static TheoryData<string, string, int> Malformed => new()
    {
        // Header shorter than 20 octets.
        { "", nameof(RadiusParseError.TruncatedHeader), 0 },
        { "04010014" + new string('0', 30), nameof(RadiusParseError.TruncatedHeader), 19 },
        // Length field below 20 and above 4096.
        { "04010013" + Zeros(16), nameof(RadiusParseError.LengthBelowMinimum), 19 },
        { "04011001" + Zeros(16), nameof(RadiusParseError.LengthAboveMaximum), 4097 },
        // Length field larger than the datagram.
        { "04010019" + Zeros(16) + "2806", nameof(RadiusParseError.LengthExceedsDatagram), 22 },
        // Attribute lengths 0 and 1.
        { "04010016" + Zeros(16) + "2800", nameof(RadiusParseError.AttributeLengthTooSmall), 20 },
        { "04010016" + Zeros(16) + "2801", nameof(RadiusParseError.AttributeLengthTooSmall), 20 },
        // A lone octet where an attribute header should be.
        { "0401001b" + Zeros(16) + "280600000001" + "28", nameof(RadiusParseError.TruncatedAttributeHeader), 26 },
        // Attribute running past the Length field (the datagram has the octets, the packet does not).
        { "04010018" + Zeros(16) + "280600000001", nameof(RadiusParseError.AttributeOverrunsPacket), 20 },
        // Vendor-Specific: shorter than 7 octets, sub-attribute length 0/1, cut-off sub-header, overrunning sub-attribute.
        { "0401001a" + Zeros(16) + "1a06000028af", nameof(RadiusParseError.VendorSpecificTooShort), 20 },
        { "04010018" + Zeros(16) + "1a02" + "0000", nameof(RadiusParseError.VendorSpecificTooShort), 20 },
        { "0401001c" + Zeros(16) + "1a08000028af0101", nameof(RadiusParseError.VendorAttributeLengthTooSmall), 26 },
        { "0401001c" + Zeros(16) + "1a08000028af0100", nameof(RadiusParseError.VendorAttributeLengthTooSmall), 26 },
        { "0401001b" + Zeros(16) + "1a07000028af01", nameof(RadiusParseError.VendorAttributeLengthTooSmall), 26 },
        { "0401001d" + Zeros(16) + "1a09000028af010531", nameof(RadiusParseError.VendorAttributeOverruns), 26 },
        { "0401001f" + Zeros(16) + "1a0b000028af0103310101", nameof(RadiusParseError.VendorAttributeLengthTooSmall), 29 },
    };

    private static string Zeros(int octets) => new('0', octets * 2);

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Every_malformed_shape_is_reported_with_its_reason_and_offset(string hex, string reason, int offset)
    {
        var bytes = Convert.FromHexString(hex);

        Assert.False(RadiusPacket.TryParse(bytes, out var packet, out var failure));
        Assert.Null(packet);
        Assert.Equal(new RadiusParseFailure(Enum.Parse<RadiusParseError>(reason), offset), failure);
        Assert.False(string.IsNullOrEmpty(failure.Message));
        var thrown = Assert.Throws<RadiusFormatException>(() => RadiusPacket.Parse(bytes));
        Assert.Equal(failure, thrown.Failure);
        Assert.Contains(failure.Message, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_of_exactly_4096_is_allowed()
    {
        var buffer = new byte[RadiusPacket.MaxLength];
        var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 1);
        var filler = new byte[253];
        while (w.Length + 255 <= RadiusPacket.MaxLength)
        {
            w.WriteAttribute(RadiusAttributeType.UserName, filler);
        }

        w.WriteAttribute(RadiusAttributeType.UserName, filler.AsSpan(0, RadiusPacket.MaxLength - w.Length - 2));
        Assert.Equal(RadiusPacket.MaxLength, w.FinishAccountingRequest(s_secret));
        Assert.Equal(RadiusPacket.MaxLength, RadiusPacket.Parse(buffer).Length);
        Assert.Equal(4096, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
    }

    [Fact]
    public void The_writer_refuses_oversized_values_and_packets()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new RadiusPacketWriter(new byte[4096], RadiusCode.AccountingRequest, 1);
            w.WriteAttribute(1, new byte[254]);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 1);
            w.WriteAttribute(1, new byte[60]);
        });
    }

    [Fact]
    public void An_accounting_request_without_status_type_or_with_a_bad_address_is_not_an_event()
    {
        var buffer = new byte[256];
        var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 1);
        w.WriteString(RadiusAttributeType.UserName, "x");
        var noStatus = RadiusPacket.Parse(buffer.AsMemory(0, w.FinishAccountingRequest(s_secret)));
        Assert.False(AccountingEvent.TryCreate(noStatus, new IPEndPoint(IPAddress.Loopback, 1), default, out _, out var error));
        Assert.Equal("no Acct-Status-Type", error);

        w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 1);
        w.WriteUInt32(RadiusAttributeType.AcctStatusType, 1);
        w.WriteAttribute(RadiusAttributeType.FramedIpAddress, [10, 0, 0]);
        var badIp = RadiusPacket.Parse(buffer.AsMemory(0, w.FinishAccountingRequest(s_secret)));
        Assert.False(AccountingEvent.TryCreate(badIp, new IPEndPoint(IPAddress.Loopback, 1), default, out _, out error));
        Assert.Contains("Framed-IP-Address", error, StringComparison.Ordinal);
    }
}
