namespace Gateway.Registry;

/// <summary>
/// What the network said about an address: RADIUS accounting (or a VPN) bound it to a SIM, with the IMEI the
/// session reported. The IMEI here is what the IMEI lock is checked against.
/// </summary>
internal sealed record AddressBinding(string Imsi, string? Imei, string? Msisdn, DateTimeOffset BoundAt);
