namespace Gateway.Radius;

/// <summary>Attribute type numbers (RFC 2865 §5, RFC 2866 §5) and the 3GPP vendor sub-attributes (TS 29.061 §16.4.7) the gateway reads.</summary>
internal static class RadiusAttributeType
{
    public const byte UserName = 1;
    public const byte NasIpAddress = 4;
    public const byte FramedIpAddress = 8;
    public const byte VendorSpecific = 26;
    public const byte CallingStationId = 31;
    public const byte NasIdentifier = 32;
    public const byte AcctStatusType = 40;
    public const byte AcctSessionId = 44;
    public const byte EventTimestamp = 55;

    /// <summary>The IANA enterprise number of 3GPP, the vendor of the IMSI and IMEISV sub-attributes.</summary>
    public const uint Vendor3Gpp = 10415;

    /// <summary>3GPP-IMSI: the IMSI as a UTF-8 string of digits.</summary>
    public const byte ThreeGppImsi = 1;

    /// <summary>3GPP-IMEISV: the IMEISV (16 digits) as a UTF-8 string, sometimes only the 14/15-digit IMEI.</summary>
    public const byte ThreeGppImeisv = 20;
}
