namespace Gateway.Registry;

/// <summary>
/// A SIM (subscriber) in SORACOM's shape, plus how the gateway recognises its traffic: a source address, address
/// ranges routed behind it, TLS client-certificate thumbprints, or LPWA device IDs.
/// </summary>
internal sealed class Subscriber
{
    public required string Imsi { get; init; }

    public string? Imei { get; init; }

    public string? Msisdn { get; init; }

    /// <summary>The SIM ID; SORACOM's ICCID. <c>iccid</c> is accepted as an alias when loading.</summary>
    public string? SimId { get; init; }

    public string? GroupId { get; init; }

    /// <summary>Compact (<see cref="SubscriberTags"/>): build it with <see cref="SubscriberTags.Of"/>.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = SubscriberTags.None;

    /// <summary><c>active</c> (default), <c>inactive</c>, <c>ready</c>, <c>standby</c>, <c>suspended</c>, <c>terminated</c>. Only active SIMs are served.</summary>
    public string Status { get; init; } = "active";

    /// <summary>The IMEI lock, SORACOM's <c>imeiLock.imei</c>: an IMEI, optionally followed by <c>|ANONYMOUS</c>.</summary>
    public string? ImeiLock { get; init; }

    /// <summary>The device's address on the private network (static, or bound by RADIUS accounting).</summary>
    public string? IpAddress { get; init; }

    /// <summary>Address ranges (CIDR) routed behind this SIM, e.g. a router's LAN.</summary>
    public IReadOnlyList<string> IpRanges { get; init; } = [];

    /// <summary>SHA-256 thumbprints (hex) of client certificates that identify this SIM on TLS listeners.</summary>
    public IReadOnlyList<string> CertificateThumbprints { get; init; } = [];

    /// <summary>
    /// Client-certificate subjects (as .NET writes them, e.g. <c>CN=meter-7, O=Example</c>) that identify this SIM,
    /// honoured only for certificates issued by the HTTPS port's device CA (<c>Gateway:Beam:ClientCaFile</c>).
    /// </summary>
    public IReadOnlyList<string> CertificateSubjects { get; init; } = [];

    /// <summary>LoRaWAN DevEUI (16 hex digits) of a LoRa device registered as this subscriber.</summary>
    public string? LoraDeviceId { get; init; }

    /// <summary>Sigfox device ID (hex) of a Sigfox device registered as this subscriber.</summary>
    public string? SigfoxDeviceId { get; init; }

    public bool IsActive => Status == "active";

    /// <summary>
    /// True for the stand-in a group's address range resolves to: a device with no SIM behind it (a VPN peer, a
    /// LAN host), which gets its group's settings but no identity headers, signature or per-SIM credentials.
    /// </summary>
    public bool IsAnonymous => Imsi.Length == 0;

    /// <summary>The stand-in for devices that arrive from one of <paramref name="groupId"/>'s address ranges.</summary>
    public static Subscriber AnonymousIn(string groupId) => new() { Imsi = string.Empty, GroupId = groupId };
}
