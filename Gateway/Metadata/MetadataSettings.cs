using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Metadata;

/// <summary>
/// A group's <c>SoracomAir.metadata</c> (<c>enabled</c>, <c>readonly</c>, <c>allowOrigin</c>) and <c>SoracomAir.userdata</c>.
/// Read per request rather than cached: the service answers a handful of calls per device, and reading the group as
/// it is now means a configuration change applies to the next call without any cache to invalidate.
/// </summary>
internal sealed record MetadataSettings(bool Enabled, bool ReadOnly, string? AllowOrigin, string? UserData)
{
    /// <summary>No group, or a group without <c>metadata</c>: the service is off, as on SORACOM (a SIM must be in a group to use it).</summary>
    public static MetadataSettings Off { get; } = new(false, true, null, null);

    public static MetadataSettings For(Group? group)
    {
        if (group?.Configuration["SoracomAir"] is not JsonObject air)
        {
            return Off;
        }

        var metadata = air["metadata"] as JsonObject;
        var origin = Text(metadata?["allowOrigin"]);
        return new MetadataSettings(
            Bool(metadata?["enabled"]) ?? false,
            // Unset readonly means read-only: a device can change its own registry entry only when the operator says so.
            Bool(metadata?["readonly"]) ?? true,
            string.IsNullOrEmpty(origin) ? null : origin,
            Text(air["userdata"]));
    }

    private static bool? Bool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
