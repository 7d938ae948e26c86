namespace Gateway.Signing.Soracom;

/// <summary>One identifier as it appears in headers, in the HTTP string to sign, and on the TCP first line.</summary>
internal sealed class SoracomField
{
    private SoracomField(string headerName, string signedName, string? tcpKey, Func<SoracomIdentity, string?> get)
    {
        HeaderName = headerName;
        SignedNameUtf8 = System.Text.Encoding.ASCII.GetBytes(signedName + "=");
        TcpKeyUtf8 = tcpKey is null ? null : System.Text.Encoding.ASCII.GetBytes(tcpKey + "=");
        TcpKey = tcpKey;
        Get = get;
    }

    /// <summary>The lowercase header name sent upstream.</summary>
    public string HeaderName { get; }

    /// <summary><c>name=</c> as it appears in the HTTP string to sign.</summary>
    public byte[] SignedNameUtf8 { get; }

    /// <summary>The key on the TCP first line, or null where the identifier has no TCP form.</summary>
    public string? TcpKey { get; }

    /// <summary><c>key=</c> as it appears on the TCP first line.</summary>
    public byte[]? TcpKeyUtf8 { get; }

    public Func<SoracomIdentity, string?> Get { get; }

    /// <summary>
    /// Every identifier in the order of the string to sign. SORACOM documents a fixed order which is simply the
    /// alphabetical order of the signed names; the Inventory form (<c>x-device-id</c>) sorts first.
    /// </summary>
    public static SoracomField[] All { get; } =
    [
        new("x-soracom-device-id", "x-device-id", null, static i => i.InventoryDeviceId),
        new("x-soracom-imei", "x-soracom-imei", "imei", static i => i.Imei),
        new("x-soracom-imsi", "x-soracom-imsi", "imsi", static i => i.Imsi),
        new("x-soracom-lora-device-id", "x-soracom-lora-device-id", null, static i => i.LoraDeviceId),
        new("x-soracom-msisdn", "x-soracom-msisdn", "msisdn", static i => i.Msisdn),
        new("x-soracom-sigfox-device-id", "x-soracom-sigfox-device-id", null, static i => i.SigfoxDeviceId),
        new("x-soracom-sim-id", "x-soracom-sim-id", "simId", static i => i.SimId),
    ];

    /// <summary>The identifiers that the TCP first line carries, in its order (imei, imsi, msisdn, simId).</summary>
    public static SoracomField[] Tcp { get; } = [.. All.Where(static f => f.TcpKey is not null)];
}
