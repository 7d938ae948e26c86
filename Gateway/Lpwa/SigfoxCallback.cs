namespace Gateway.Lpwa;

/// <summary>
/// A Sigfox uplink callback. The text fields are kept exactly as the Sigfox backend sent them (a number arrives as
/// its JSON text), since SORACOM forwards them as strings; null where the callback template left a field out.
/// </summary>
internal sealed record SigfoxCallback(
    string Device,
    string Data,
    byte[] Payload,
    string? Time,
    string? SeqNumber,
    string? Lqi,
    string? OperatorName,
    string? CountryCode);
