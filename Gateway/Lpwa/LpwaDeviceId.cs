using System.Buffers;

namespace Gateway.Lpwa;

/// <summary>Shape checks for the device IDs network servers send, before they are looked up.</summary>
internal static class LpwaDeviceId
{
    private static readonly SearchValues<char> s_hexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>A LoRaWAN DevEUI: 16 hex digits, either case.</summary>
    public static bool IsDevEui(string value) => value.Length == 16 && !value.AsSpan().ContainsAnyExcept(s_hexDigits);

    /// <summary>A Sigfox device ID: 1 to 16 hex digits (usually 6 to 8), either case.</summary>
    public static bool IsSigfoxId(string value) => value.Length is > 0 and <= 16 && !value.AsSpan().ContainsAnyExcept(s_hexDigits);
}
