using System.Text.Json;

namespace Gateway.Lpwa;

/// <summary>
/// Reads ChirpStack v4's uplink event (<c>integration.UplinkEvent</c> as JSON): <c>deviceInfo.devEui</c>,
/// <c>data</c> (base64 FRMPayload), <c>fPort</c>, <c>fCnt</c>, <c>time</c>, and <c>rxInfo[]</c> with <c>rssi</c>,
/// <c>snr</c> and <c>gatewayId</c>. Both the lowerCamelCase names ChirpStack's JSON encoding writes and the proto
/// field names (<c>device_info.dev_eui</c>, <c>f_port</c>, <c>rx_info</c>, …) are accepted; fields at their default
/// value may be missing, as proto3 JSON leaves them out.
/// </summary>
internal static class ChirpStackUplinkReader
{
    public static LoraUplink? Read(JsonElement root, long nowMs, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "body must be a JSON object";
            return null;
        }

        if (!LpwaJson.TryGet(root, "deviceInfo", "device_info", out var info)
            || LpwaJson.String(info, "devEui", "dev_eui", "deviceInfo.devEui", ref error) is not { } devEui)
        {
            error ??= "missing deviceInfo.devEui";
            return null;
        }

        if (!LpwaDeviceId.IsDevEui(devEui))
        {
            error = "deviceInfo.devEui must be 16 hex digits";
            return null;
        }

        var payload = LpwaJson.Base64(root, "data", null, "data", ref error) ?? [];
        var fPort = LpwaJson.UInt32(root, "fPort", "f_port", "fPort", ref error);
        var fCnt = LpwaJson.UInt32(root, "fCnt", "f_cnt", "fCnt", ref error);
        var time = LpwaJson.Time(root, "time", null, "time", ref error) ?? nowMs;
        double? rssi = null, snr = null;
        string? gateway = null;
        if (LpwaJson.TryGet(root, "rxInfo", "rx_info", out var rxInfo))
        {
            if (rxInfo.ValueKind != JsonValueKind.Array)
            {
                error ??= "rxInfo must be an array";
            }
            else
            {
                // The gateway that heard the frame best speaks for the radio link.
                var i = 0;
                foreach (var rx in rxInfo.EnumerateArray())
                {
                    var path = $"rxInfo[{i++}]";
                    var r = LpwaJson.Double(rx, "rssi", null, path + ".rssi", ref error);
                    var s = LpwaJson.Double(rx, "snr", null, path + ".snr", ref error);
                    var g = LpwaJson.String(rx, "gatewayId", "gateway_id", path + ".gatewayId", ref error);
                    if (i == 1 || r > (rssi ?? double.NegativeInfinity))
                    {
                        (rssi, snr, gateway) = (r, s, g?.ToLowerInvariant());
                    }
                }
            }
        }

        return error is null ? new LoraUplink(devEui.ToLowerInvariant(), payload, time, fPort, fCnt, rssi, snr, gateway) : null;
    }
}
