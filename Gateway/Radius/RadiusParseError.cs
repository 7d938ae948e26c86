namespace Gateway.Radius;

/// <summary>Why a datagram is not a well-formed RADIUS packet (RFC 2865 §3 and §5).</summary>
internal enum RadiusParseError
{
    None = 0,

    /// <summary>Fewer than the 20 octets of code, identifier, length and authenticator.</summary>
    TruncatedHeader,

    /// <summary>The Length field is below 20, so it cannot even cover the header.</summary>
    LengthBelowMinimum,

    /// <summary>The Length field is above 4096, the largest packet RFC 2865 allows.</summary>
    LengthAboveMaximum,

    /// <summary>The Length field claims more octets than the datagram holds.</summary>
    LengthExceedsDatagram,

    /// <summary>One octet is left where an attribute's type and length (two octets) should start.</summary>
    TruncatedAttributeHeader,

    /// <summary>An attribute's length is 0 or 1; it must count its own two header octets.</summary>
    AttributeLengthTooSmall,

    /// <summary>An attribute's length runs past the end of the packet.</summary>
    AttributeOverrunsPacket,

    /// <summary>A Vendor-Specific attribute shorter than 7 octets: no room for the vendor id and any data.</summary>
    VendorSpecificTooShort,

    /// <summary>A vendor sub-attribute whose header is cut off or whose length is 0 or 1.</summary>
    VendorAttributeLengthTooSmall,

    /// <summary>A vendor sub-attribute runs past the end of its Vendor-Specific attribute.</summary>
    VendorAttributeOverruns,
}
