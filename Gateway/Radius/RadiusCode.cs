namespace Gateway.Radius;

/// <summary>The packet codes of RFC 2865 §3 and RFC 2866 §3 that the gateway names; any other byte is still parsed.</summary>
internal enum RadiusCode : byte
{
    AccessRequest = 1,
    AccessAccept = 2,
    AccessReject = 3,
    AccountingRequest = 4,
    AccountingResponse = 5,
    AccessChallenge = 11,
}
