using System.Text.Json;

namespace Gateway.Lpwa;

/// <summary>
/// Reads The Things Stack's webhook uplink message: <c>end_device_ids.dev_eui</c>, <c>received_at</c>, and
/// <c>uplink_message</c> with <c>frm_payload</c> (base64), <c>f_port</c>, <c>f_cnt</c> and <c>rx_metadata[]</c>
/// (<c>rssi</c> or <c>channel_rssi</c>, <c>snr</c>, <c>gateway_ids.eui</c> / <c>gateway_ids.gateway_id</c>).
/// A message without <c>uplink_message</c> (join accept, downlink events sent to the same URL) is not an uplink.
/// </summary>
internal static class TtsUplinkReader
{
    /// <returns>The uplink; null with <paramref name="error"/> null when the message is not an uplink.</returns>
    public static LoraUplink? Read(JsonElement root, long nowMs, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "body must be a JSON object";
            return null;
        }

        if (!LpwaJson.TryGet(root, "end_device_ids", null, out var ids)
            || LpwaJson.String(ids, "dev_eui", null, "end_device_ids.dev_eui", ref error) is not { } devEui)
        {
            error ??= "missing end_device_ids.dev_eui";
            return null;
        }

        if (!LpwaDeviceId.IsDevEui(devEui))
        {
            error = "end_device_ids.dev_eui must be 16 hex digits";
            return null;
        }

        if (!LpwaJson.TryGet(root, "uplink_message", null, out var uplink))
        {
            return null;
        }

        if (uplink.ValueKind != JsonValueKind.Object)
        {
            error = "uplink_message must be an object";
            return null;
        }

        var payload = LpwaJson.Base64(uplink, "frm_payload", null, "uplink_message.frm_payload", ref error) ?? [];
        var fPort = LpwaJson.UInt32(uplink, "f_port", null, "uplink_message.f_port", ref error);
        var fCnt = LpwaJson.UInt32(uplink, "f_cnt", null, "uplink_message.f_cnt", ref error);
        var time = LpwaJson.Time(root, "received_at", null, "received_at", ref error)
            ?? LpwaJson.Time(uplink, "received_at", null, "uplink_message.received_at", ref error)
            ?? nowMs;
        double? rssi = null, snr = null;
        string? gateway = null;
        if (LpwaJson.TryGet(uplink, "rx_metadata", null, out var metadata))
        {
            if (metadata.ValueKind != JsonValueKind.Array)
            {
                error ??= "uplink_message.rx_metadata must be an array";
            }
            else
            {
                // The gateway that heard the frame best speaks for the radio link.
                var i = 0;
                foreach (var rx in metadata.EnumerateArray())
                {
                    var path = $"uplink_message.rx_metadata[{i++}]";
                    var r = LpwaJson.Double(rx, "rssi", "channel_rssi", path + ".rssi", ref error);
                    var s = LpwaJson.Double(rx, "snr", null, path + ".snr", ref error);
                    string? g = null;
                    if (LpwaJson.TryGet(rx, "gateway_ids", null, out var gatewayIds))
                    {
                        g = LpwaJson.String(gatewayIds, "eui", null, path + ".gateway_ids.eui", ref error)?.ToLowerInvariant()
                            ?? LpwaJson.String(gatewayIds, "gateway_id", null, path + ".gateway_ids.gateway_id", ref error);
                    }

                    if (i == 1 || r > (rssi ?? double.NegativeInfinity))
                    {
                        (rssi, snr, gateway) = (r, s, g);
                    }
                }
            }
        }

        return error is null ? new LoraUplink(devEui.ToLowerInvariant(), payload, time, fPort, fCnt, rssi, snr, gateway) : null;
    }
}
