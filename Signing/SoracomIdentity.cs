namespace Gateway.Signing;

/// <summary>
/// The identifiers SORACOM Beam can attach to a message: the cellular ones (IMEI, IMSI, MSISDN, SIM ID), an LPWA
/// device ID (LoRaWAN or Sigfox), or an Inventory device ID. A <see langword="null"/> identifier is neither sent
/// nor signed: set only the identifiers that are both enabled in the configuration and known for the device.
/// </summary>
public sealed record SoracomIdentity
{
    /// <summary>The IMEI of the device's module (<c>x-soracom-imei</c>, <c>imei=</c>).</summary>
    public string? Imei { get; init; }

    /// <summary>The IMSI of the SIM (<c>x-soracom-imsi</c>, <c>imsi=</c>).</summary>
    public string? Imsi { get; init; }

    /// <summary>The MSISDN of the SIM (<c>x-soracom-msisdn</c>, <c>msisdn=</c>).</summary>
    public string? Msisdn { get; init; }

    /// <summary>The SIM ID, an ICCID (<c>x-soracom-sim-id</c>, <c>simId=</c>).</summary>
    public string? SimId { get; init; }

    /// <summary>The LoRaWAN device ID (<c>x-soracom-lora-device-id</c>).</summary>
    public string? LoraDeviceId { get; init; }

    /// <summary>The Sigfox device ID (<c>x-soracom-sigfox-device-id</c>).</summary>
    public string? SigfoxDeviceId { get; init; }

    /// <summary>
    /// The Inventory device ID, sent as <c>x-soracom-device-id</c> and signed as <c>x-device-id=</c>, as SORACOM's
    /// published verifier does.
    /// </summary>
    public string? InventoryDeviceId { get; init; }

    /// <summary>Whether no identifier is set.</summary>
    public bool IsEmpty =>
        Imei is null && Imsi is null && Msisdn is null && SimId is null
        && LoraDeviceId is null && SigfoxDeviceId is null && InventoryDeviceId is null;

    /// <summary>Whether only identifiers that can appear on a TCP first line (IMEI, IMSI, MSISDN, SIM ID) are set.</summary>
    public bool IsCellularOnly => LoraDeviceId is null && SigfoxDeviceId is null && InventoryDeviceId is null;
}
