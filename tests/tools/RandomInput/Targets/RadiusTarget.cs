using System.Net;
using Gateway.Radius;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// RADIUS accounting as <c>RadiusAccountingListener</c> reads a datagram: <see cref="RadiusPacket.TryParse"/>, the
/// authenticator check, and <see cref="AccountingEvent.TryCreate"/> (attributes to an event, the IMEI from the IMEISV).
/// Half the inputs are re-signed, so that the event is read as it is only after a good authenticator. Contract:
/// TryParse and TryCreate never throw; Parse throws <see cref="RadiusFormatException"/> exactly when TryParse fails;
/// attribute values lie inside the packet.
/// </summary>
internal sealed class RadiusTarget : IParserTarget
{
    private static readonly byte[] Secret = "random-input-secret"u8.ToArray();
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 1813);

    public string Name => "radius";

    public string Description => "RADIUS accounting datagrams (RadiusPacket.TryParse, authenticator, AccountingEvent.TryCreate)";

    public IReadOnlyList<byte[]> Samples { get; } =
    [
        Accounting(AcctStatusType.Start, imeisv: "3530000000000101", withTimestamp: true),
        Accounting(AcctStatusType.Stop, imeisv: "35300000000001", withTimestamp: false),
        Accounting(AcctStatusType.InterimUpdate, imeisv: null, withTimestamp: true),
        Accounting((AcctStatusType)7, imeisv: "x", withTimestamp: false),
    ];

    public IReadOnlyList<byte[]> Tokens { get; } =
    [
        [26, 7, 0, 0, 0x28, 0xAF, 1], [26, 2], [40, 6, 0, 0, 0, 1], [8, 6, 127, 0, 0, 1], [55, 6, 0xFF, 0xFF, 0xFF, 0xFF],
        [1, 2], [0, 0], [0xFF], [4], [0x10, 0x00], [0x0F, 0xFF], [0x00, 0x14],
    ];

    public int MaxInputBytes => RadiusPacket.MaxLength + 64;

    public byte[] Shape(byte[] input, Random random)
    {
        if (input.Length >= RadiusPacket.HeaderLength && random.Next(2) == 0)
        {
            // A true Length field and a good authenticator: the attributes are what is being tested.
            var length = Math.Min(input.Length, RadiusPacket.MaxLength);
            input[2] = (byte)(length >> 8);
            input[3] = (byte)length;
            RadiusAuthenticator.ComputeAccountingRequest(input.AsSpan(0, length), Secret, input.AsSpan(4, RadiusPacket.AuthenticatorLength));
        }

        return input;
    }

    public void Run(byte[] input)
    {
        var parsed = RadiusPacket.TryParse(input, out var packet, out var failure);
        try
        {
            var again = RadiusPacket.Parse(input);
            InvariantException.Check(parsed && again.Length == packet!.Length, "Parse succeeds exactly when TryParse does");
        }
        catch (RadiusFormatException e)
        {
            InvariantException.Check(!parsed && e.Failure == failure, "Parse fails exactly when TryParse does, with the same reason");
        }

        if (!parsed)
        {
            _ = failure.Message;
            return;
        }

        InvariantException.Check(packet!.Length is >= RadiusPacket.HeaderLength and <= RadiusPacket.MaxLength && packet.Length <= input.Length, "length inside the datagram");
        foreach (var attribute in packet.Attributes)
        {
            InvariantException.Check(attribute.Value.Length <= RadiusPacket.MaxAttributeValueLength, "an attribute value of at most 253 octets");
        }

        if (packet.Code == RadiusCode.AccountingRequest && RadiusAuthenticator.VerifyAccountingRequest(packet.Raw.Span, Secret)
            && AccountingEvent.TryCreate(packet, Client, DateTimeOffset.UnixEpoch, out var accounting, out _))
        {
            InvariantException.Check(accounting.Imei is null || accounting.Imei.Length == 15, "an IMEI of 15 digits or none");
        }
    }

    private static byte[] Accounting(AcctStatusType status, string? imeisv, bool withTimestamp)
    {
        Span<byte> buffer = stackalloc byte[RadiusPacket.MaxLength];
        var writer = new RadiusPacketWriter(buffer, RadiusCode.AccountingRequest, 7);
        writer.WriteUInt32(RadiusAttributeType.AcctStatusType, (uint)status);
        writer.WriteIPv4(RadiusAttributeType.FramedIpAddress, IPAddress.Parse("10.0.0.7"));
        writer.WriteIPv4(RadiusAttributeType.NasIpAddress, IPAddress.Parse("10.0.0.1"));
        writer.WriteString(RadiusAttributeType.UserName, "sora");
        writer.WriteString(RadiusAttributeType.CallingStationId, "819012345678");
        writer.WriteString(RadiusAttributeType.AcctSessionId, "session-0001");
        writer.WriteString(RadiusAttributeType.NasIdentifier, "pgw-1");
        if (withTimestamp)
        {
            writer.WriteUInt32(RadiusAttributeType.EventTimestamp, 1_700_000_000);
        }

        writer.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImsi, "440101234567890");
        if (imeisv is not null)
        {
            writer.WriteVendorString(RadiusAttributeType.Vendor3Gpp, RadiusAttributeType.ThreeGppImeisv, imeisv);
        }

        return buffer[..writer.FinishAccountingRequest(Secret)].ToArray();
    }
}
