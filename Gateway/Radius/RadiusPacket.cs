using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Radius;

/// <summary>
/// A parsed RADIUS packet (RFC 2865 §3). Parsing checks every length before reading, so a hostile datagram can only
/// produce a <see cref="RadiusParseFailure"/>, never an out-of-range read. Attribute values are slices of the datagram:
/// the caller must keep that memory unchanged while the packet is in use.
/// </summary>
internal sealed class RadiusPacket
{
    public const int HeaderLength = 20;
    public const int MaxLength = 4096;
    public const int AuthenticatorLength = 16;
    public const int MaxAttributeValueLength = 253;

    private RadiusPacket(ReadOnlyMemory<byte> raw, RadiusAttribute[] attributes, RadiusVendorAttribute[] vendorAttributes)
    {
        Raw = raw;
        Attributes = attributes;
        VendorAttributes = vendorAttributes;
    }

    public RadiusCode Code => (RadiusCode)Raw.Span[0];

    public byte Identifier => Raw.Span[1];

    /// <summary>The Length field; octets of the datagram beyond it were padding (RFC 2865 §3) and are not part of <see cref="Raw"/>.</summary>
    public int Length => Raw.Length;

    public ReadOnlyMemory<byte> Authenticator => Raw.Slice(4, AuthenticatorLength);

    /// <summary>The packet exactly as received, <see cref="Length"/> octets; what authenticators are computed over.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>Every attribute in order, Vendor-Specific ones included as they are.</summary>
    public IReadOnlyList<RadiusAttribute> Attributes { get; }

    /// <summary>The sub-attributes of every Vendor-Specific attribute, in order.</summary>
    public IReadOnlyList<RadiusVendorAttribute> VendorAttributes { get; }

    /// <summary>Parses a datagram, or throws <see cref="RadiusFormatException"/> saying why it is malformed.</summary>
    public static RadiusPacket Parse(ReadOnlyMemory<byte> datagram) =>
        TryParse(datagram, out var packet, out var failure) ? packet : throw new RadiusFormatException(failure);

    /// <summary>Parses a datagram; on failure returns false with the reason and where in the packet it was found. Never throws.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> datagram, [NotNullWhen(true)] out RadiusPacket? packet, out RadiusParseFailure failure)
    {
        packet = null;
        var span = datagram.Span;
        if (span.Length < HeaderLength)
        {
            failure = new(RadiusParseError.TruncatedHeader, span.Length);
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        if (length < HeaderLength)
        {
            failure = new(RadiusParseError.LengthBelowMinimum, length);
            return false;
        }

        if (length > MaxLength)
        {
            failure = new(RadiusParseError.LengthAboveMaximum, length);
            return false;
        }

        if (length > span.Length)
        {
            failure = new(RadiusParseError.LengthExceedsDatagram, span.Length);
            return false;
        }

        span = span[..length];
        List<RadiusAttribute> attributes = [];
        List<RadiusVendorAttribute>? vendor = null;
        var offset = HeaderLength;
        while (offset < length)
        {
            if (length - offset < 2)
            {
                failure = new(RadiusParseError.TruncatedAttributeHeader, offset);
                return false;
            }

            var type = span[offset];
            int attributeLength = span[offset + 1];
            if (attributeLength < 2)
            {
                failure = new(RadiusParseError.AttributeLengthTooSmall, offset);
                return false;
            }

            if (attributeLength > length - offset)
            {
                failure = new(RadiusParseError.AttributeOverrunsPacket, offset);
                return false;
            }

            var value = datagram.Slice(offset + 2, attributeLength - 2);
            if (type == RadiusAttributeType.VendorSpecific && !TryParseVendorSpecific(value, offset, ref vendor, out failure))
            {
                return false;
            }

            attributes.Add(new RadiusAttribute(type, value));
            offset += attributeLength;
        }

        packet = new RadiusPacket(datagram[..length], [.. attributes], vendor is null ? [] : [.. vendor]);
        failure = default;
        return true;
    }

    // RFC 2865 §5.26 only recommends the type/length/value layout inside a Vendor-Specific attribute, but every vendor
    // a mobile core sends (3GPP above all) uses it, and a VSA that does not tile exactly is far more likely a corrupt
    // packet than an exotic vendor: refusing it is the safe reading for an attribute that decides a device's identity.
    private static bool TryParseVendorSpecific(ReadOnlyMemory<byte> value, int attributeOffset, ref List<RadiusVendorAttribute>? vendor, out RadiusParseFailure failure)
    {
        var span = value.Span;
        if (span.Length < 5)
        {
            failure = new(RadiusParseError.VendorSpecificTooShort, attributeOffset);
            return false;
        }

        var vendorId = BinaryPrimitives.ReadUInt32BigEndian(span);
        var offset = 4;
        while (offset < span.Length)
        {
            var subOffset = attributeOffset + 2 + offset;
            if (span.Length - offset < 2 || span[offset + 1] < 2)
            {
                failure = new(RadiusParseError.VendorAttributeLengthTooSmall, subOffset);
                return false;
            }

            int subLength = span[offset + 1];
            if (subLength > span.Length - offset)
            {
                failure = new(RadiusParseError.VendorAttributeOverruns, subOffset);
                return false;
            }

            (vendor ??= []).Add(new RadiusVendorAttribute(vendorId, span[offset], value.Slice(offset + 2, subLength - 2)));
            offset += subLength;
        }

        failure = default;
        return true;
    }

    /// <summary>The value of the first attribute of this type, if any.</summary>
    public bool TryGetAttribute(byte type, out ReadOnlyMemory<byte> value)
    {
        foreach (var a in Attributes)
        {
            if (a.Type == type)
            {
                value = a.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The value of the first vendor sub-attribute with this vendor and type, if any.</summary>
    public bool TryGetVendorAttribute(uint vendorId, byte vendorType, out ReadOnlyMemory<byte> value)
    {
        foreach (var a in VendorAttributes)
        {
            if (a.VendorId == vendorId && a.VendorType == vendorType)
            {
                value = a.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
