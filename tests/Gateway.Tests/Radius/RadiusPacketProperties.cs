using FsCheck;
using FsCheck.Fluent;
using Gateway.Radius;
using System.Net;

namespace Gateway.Tests.Radius;

/// <summary>Whatever arrives on the socket, the parser answers with a packet or a documented failure, never an exception.</summary>
public sealed class RadiusPacketProperties
{
    private static readonly byte[] s_valid = Convert.FromHexString(
        "047200615457b1baebaeb2cd834e6bfef2f1326c28060000000108067f0000051f0e3831393031323334353637381a17000028af01" +
        "113434303130313233343536373839301a18000028af1412333533343930303631323334353630312c047331");

    private static Gen<byte[]> RandomBytes =>
        Gen.Choose(0, 300).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    // Random bytes rarely get past the header, so also: a header whose Length matches, followed by random attribute bytes,
    // and the real radclient packet with a few octets changed and possibly cut short.
    private static Gen<byte[]> PlausibleHeader =>
        from body in Gen.Choose(0, 120).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))
        from code in Gen.Elements<byte>(4, 5, 1, 0, 255)
        select Concat([code, 1, (byte)((body.Length + 20) >> 8), (byte)(body.Length + 20), .. new byte[16]], body);

    private static Gen<byte[]> Mutated =>
        from flips in Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Flip, n))
        from cut in Gen.Choose(0, s_valid.Length)
        select Mutate(flips, cut);

    private static Gen<(int Index, byte Value)> Flip =>
        from index in Gen.Choose(0, s_valid.Length - 1)
        from value in ArbMap.Default.GeneratorFor<byte>()
        select (index, value);

    private static byte[] Concat(byte[] head, byte[] body) => [.. head, .. body];

    private static byte[] Mutate(IEnumerable<(int Index, byte Value)> flips, int cut)
    {
        var bytes = (byte[])s_valid.Clone();
        foreach (var (index, value) in flips)
        {
            bytes[index] = value;
        }

        return bytes[..cut];
    }

    private static bool ParsesOrFailsCleanly(byte[] bytes)
    {
        if (RadiusPacket.TryParse(bytes, out var packet, out var failure))
        {
            // A parsed packet's parts all lie inside the Length it declares, and reading it as an event cannot throw either.
            var inside = packet.Length <= bytes.Length
                && packet.Attributes.Sum(a => a.Value.Length + 2) == packet.Length - RadiusPacket.HeaderLength
                && failure.Reason == RadiusParseError.None;
            AccountingEvent.TryCreate(packet, new IPEndPoint(IPAddress.Loopback, 1), default, out _, out _);
            RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, "s"u8);
            return inside;
        }

        var thrown = Record.Exception(() => RadiusPacket.Parse(bytes));
        return packet is null && failure.Reason != RadiusParseError.None && failure.Message.Length > 0
            && thrown is RadiusFormatException f && f.Failure == failure;
    }

    [Fact]
    public void Random_bytes_parse_or_fail_with_a_reason() =>
        Prop.ForAll(Arb.From(RandomBytes), ParsesOrFailsCleanly).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

    [Fact]
    public void Random_attribute_bytes_behind_a_consistent_header_parse_or_fail_with_a_reason() =>
        Prop.ForAll(Arb.From(PlausibleHeader), ParsesOrFailsCleanly).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

    [Fact]
    public void A_mutated_or_truncated_real_packet_parses_or_fails_with_a_reason() =>
        Prop.ForAll(Arb.From(Mutated), ParsesOrFailsCleanly).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

    [Fact]
    public void Any_attributes_written_read_back_the_same()
    {
        var attribute =
            from type in Gen.Choose(1, 255).Where(t => t != 26).Select(t => (byte)t)
            from value in Gen.Choose(0, 253).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))
            select (Type: type, Value: value, Vendor: false);
        var vendor =
            from type in Gen.Choose(0, 255).Select(t => (byte)t)
            from value in Gen.Choose(0, 247).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))
            select (Type: type, Value: value, Vendor: true);
        var attributes = Gen.Choose(0, 14).SelectMany(n => Gen.ArrayOf(Gen.OneOf(attribute, vendor), n));
        var secret = "s3cret"u8.ToArray();

        Prop.ForAll(Arb.From(attributes), list =>
        {
            var buffer = new byte[RadiusPacket.MaxLength];
            var w = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 9);
            foreach (var a in list)
            {
                if (a.Vendor)
                {
                    w.WriteVendorAttribute(10415, a.Type, a.Value);
                }
                else
                {
                    w.WriteAttribute(a.Type, a.Value);
                }
            }

            var packet = RadiusPacket.Parse(buffer.AsMemory(0, w.FinishAccountingRequest(secret)));
            var plain = list.Where(a => !a.Vendor).ToList();
            var vendors = list.Where(a => a.Vendor).ToList();
            return RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, secret)
                && packet.Attributes.Count == list.Length
                && packet.Attributes.Where(a => a.Type != 26).Select(a => (a.Type, Hex: Convert.ToHexString(a.Value.Span)))
                    .SequenceEqual(plain.Select(a => (a.Type, Hex: Convert.ToHexString(a.Value))))
                && packet.VendorAttributes.Select(a => (a.VendorId, a.VendorType, Hex: Convert.ToHexString(a.Value.Span)))
                    .SequenceEqual(vendors.Select(a => (10415u, a.Type, Hex: Convert.ToHexString(a.Value))));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }
}
