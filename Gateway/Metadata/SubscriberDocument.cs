using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Metadata;

/// <summary>
/// The subscriber as the metadata service shows it to the device itself: SORACOM's <c>Subscriber</c> shape, built
/// field by field from what the registry knows. It is built from an allow-list, not by copying the registry's own
/// JSON and removing things, so that a field added to the registry later (a recognition detail, a secret) cannot
/// appear here by accident. The group's configuration is never part of it: SORACOM's subscriber carries only the
/// <c>groupId</c>, and the configuration is where Beam and Funnel secrets live.
/// </summary>
internal static class SubscriberDocument
{
    public static JsonObject Write(DeviceIdentity device, string? callerAddress)
    {
        var s = device.Subscriber!;
        var tags = new JsonObject();

        // SORACOM's tags always carry "name", empty when the SIM has none.
        if (!s.Tags.ContainsKey("name"))
        {
            tags["name"] = string.Empty;
        }

        foreach (var (k, v) in s.Tags)
        {
            tags[k] = v;
        }

        return new JsonObject
        {
            ["imsi"] = s.Imsi,
            ["msisdn"] = s.Msisdn,
            ["iccid"] = s.SimId,
            ["simId"] = s.SimId,
            ["groupId"] = s.GroupId,
            ["status"] = s.Status,
            ["ipAddress"] = s.IpAddress ?? callerAddress,
            ["tags"] = tags,
            ["imeiLock"] = s.ImeiLock is null ? null : new JsonObject { ["imei"] = s.ImeiLock },
            // The caller is talking to us now, from this address: that much of a session the gateway does know.
            ["sessionStatus"] = new JsonObject
            {
                ["online"] = true,
                ["imsi"] = s.Imsi,
                ["imei"] = device.Imei,
                ["ueIpAddress"] = callerAddress,
            },
        };
    }

    /// <summary>
    /// The value at a dotted path below the subscriber (<c>imsi</c>, <c>tags.LED</c>, <c>sessionStatus.imei</c>), or
    /// null when there is none. Below <c>tags.</c> the whole rest is the tag's name, so a tag named <c>fw.version</c>
    /// is found too.
    /// </summary>
    public static JsonNode? Find(JsonObject subscriber, string path)
    {
        if (path.StartsWith("tags.", StringComparison.Ordinal) && subscriber["tags"] is JsonObject tags && tags[path[5..]] is { } tag)
        {
            return tag;
        }

        JsonNode? node = subscriber;
        foreach (var name in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(name, out var child) ? child : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>A scalar as the plain text a device parses (<c>int(resp.text)</c>): a string unquoted, anything else as JSON.</summary>
    public static string ScalarText(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };
}
