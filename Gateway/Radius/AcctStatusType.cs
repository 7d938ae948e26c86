namespace Gateway.Radius;

/// <summary>Values of Acct-Status-Type (attribute 40, RFC 2866 §5.1) the gateway acts on; others pass through as their number.</summary>
internal enum AcctStatusType : uint
{
    Start = 1,
    Stop = 2,
    InterimUpdate = 3,
    AccountingOn = 7,
    AccountingOff = 8,
}
