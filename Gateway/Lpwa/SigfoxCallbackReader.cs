using System.Text.Json;

namespace Gateway.Lpwa;

/// <summary>
/// Reads a Sigfox backend custom callback (uplink data) whose JSON body template uses the backend's variables:
/// <c>device</c> and <c>data</c> (hex) are required; <c>time</c>, <c>seqNumber</c>, <c>lqi</c>,
/// <c>operatorName</c> and <c>countryCode</c> are carried when present. Each may be a string or a number (templates
/// are written by hand, with or without quotes), and is kept as the text that was sent. Other variables are ignored.
/// </summary>
internal static class SigfoxCallbackReader
{
    public static SigfoxCallback? Read(JsonElement root, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "body must be a JSON object";
            return null;
        }

        var device = LpwaJson.Text(root, "device", ref error);
        var data = LpwaJson.Text(root, "data", ref error);
        var time = LpwaJson.Text(root, "time", ref error);
        var seqNumber = LpwaJson.Text(root, "seqNumber", ref error);
        var lqi = LpwaJson.Text(root, "lqi", ref error);
        var operatorName = LpwaJson.Text(root, "operatorName", ref error);
        var countryCode = LpwaJson.Text(root, "countryCode", ref error);
        if (error is not null)
        {
            return null;
        }

        if (device is null || !LpwaDeviceId.IsSigfoxId(device))
        {
            error = device is null ? "missing device" : "device must be 1 to 16 hex digits";
            return null;
        }

        if (data is null)
        {
            error = "missing data";
            return null;
        }

        byte[] payload;
        try
        {
            payload = Convert.FromHexString(data);
        }
        catch (FormatException)
        {
            error = "data must be hex";
            return null;
        }

        return new SigfoxCallback(device, data, payload, time, seqNumber, lqi, operatorName, countryCode);
    }
}
