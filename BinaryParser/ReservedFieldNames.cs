using System.Collections.Frozen;

namespace Gateway.BinaryParser;

/// <summary>
/// Names SORACOM forbids for parsed fields because Sigfox and LoRaWAN messages already carry them: the parsed fields
/// are merged into those messages. Cellular payloads produce a fresh object, so the names are free there (and
/// commonly used, e.g. <c>lat</c>); the gateway checks them only for Sigfox and LoRaWAN sources.
/// </summary>
public static class ReservedFieldNames
{
    /// <summary>Names a format applied to Sigfox messages may not use.</summary>
    public static IReadOnlySet<string> Sigfox { get; } = FrozenSet.Create(
        StringComparer.Ordinal,
        "countryCode", "data", "device", "lat", "lng", "lqi", "operatorName", "rssi", "seqNumber", "snr", "station", "time");

    /// <summary>Names a format applied to LoRaWAN messages may not use.</summary>
    public static IReadOnlySet<string> LoRaWan { get; } = FrozenSet.Create(
        StringComparer.Ordinal,
        "data", "date", "deveui", "gatewayData");
}
