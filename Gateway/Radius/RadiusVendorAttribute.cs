namespace Gateway.Radius;

/// <summary>A sub-attribute of a Vendor-Specific attribute (26) in the RFC 2865 §5.26 recommended layout; the value is a slice of the datagram.</summary>
internal readonly record struct RadiusVendorAttribute(uint VendorId, byte VendorType, ReadOnlyMemory<byte> Value);
