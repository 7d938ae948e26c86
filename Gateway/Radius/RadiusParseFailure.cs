namespace Gateway.Radius;

/// <summary>A parse failure: the reason and the octet offset in the packet where it was found, with a message fit for a log line.</summary>
internal readonly record struct RadiusParseFailure(RadiusParseError Reason, int Offset)
{
    public string Message => Reason switch
    {
        RadiusParseError.None => "no error",
        RadiusParseError.TruncatedHeader => $"datagram of {Offset} octets is shorter than the 20-octet RADIUS header",
        RadiusParseError.LengthBelowMinimum => $"Length field {Offset} is below the minimum of 20",
        RadiusParseError.LengthAboveMaximum => $"Length field {Offset} is above the maximum of 4096",
        RadiusParseError.LengthExceedsDatagram => $"Length field claims more octets than the datagram's {Offset}",
        RadiusParseError.TruncatedAttributeHeader => $"attribute header at offset {Offset} is cut off",
        RadiusParseError.AttributeLengthTooSmall => $"attribute at offset {Offset} has a length below 2",
        RadiusParseError.AttributeOverrunsPacket => $"attribute at offset {Offset} runs past the end of the packet",
        RadiusParseError.VendorSpecificTooShort => $"Vendor-Specific attribute at offset {Offset} is shorter than 7 octets",
        RadiusParseError.VendorAttributeLengthTooSmall => $"vendor sub-attribute at offset {Offset} has a length below 2 or a cut-off header",
        RadiusParseError.VendorAttributeOverruns => $"vendor sub-attribute at offset {Offset} runs past the end of its Vendor-Specific attribute",
        _ => $"{Reason} at offset {Offset}",
    };

    public override string ToString() => Message;
}
