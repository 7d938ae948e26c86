using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Harvest;

/// <summary>
/// A group's <c>SoracomHarvest</c> namespace compiled once per group object (a group object lives exactly as long as
/// the registry version that holds it), so a message costs a table lookup, not a parse.
/// </summary>
internal sealed class HarvestGroupConfig
{
    private static readonly ConditionalWeakTable<Group, HarvestGroupConfig> s_cache = [];

    public static HarvestGroupConfig Disabled { get; } = new();

    public bool Enabled { get; private init; }

    public HarvestTimestamp? CustomTimestamp { get; private init; }

    /// <summary>The group's <c>category</c>: stored with each entry, listed by <c>GET /v1/data/categories/{category}</c>.</summary>
    public string? Category { get; private init; }

    /// <summary><c>batch.enabled</c>: each message is an array of entries (with <see cref="CustomTimestamp"/>, which validation requires).</summary>
    public HarvestBatch? Batch { get; private init; }

    /// <summary><c>delivery: "queued"</c>: the device is answered once the entry is in the spool, not the store.</summary>
    public bool Queued { get; private init; }

    public static HarvestGroupConfig For(Group? group) => group is null ? Disabled : s_cache.GetValue(group, Compile);

    private static HarvestGroupConfig Compile(Group group)
    {
        // The registry validated the namespace (HarvestConfigValidator); anything unusable here leaves Harvest off.
        if (group.Configuration["SoracomHarvest"] is not JsonObject map)
        {
            return Disabled;
        }

        HarvestTimestamp? timestamp = null;
        if (map["customTimestamp"] is JsonObject ts && (string?)ts["value"] is { } pointer)
        {
            timestamp = new HarvestTimestamp(pointer, (string?)ts["format"] ?? HarvestTimestamp.Iso8601);
        }

        return new HarvestGroupConfig
        {
            Enabled = map["enabled"] is JsonValue e && e.GetValueKind() == JsonValueKind.True,
            CustomTimestamp = timestamp,
            Batch = timestamp is not null && map["batch"] is JsonObject b && b["enabled"] is JsonValue be && be.GetValueKind() == JsonValueKind.True
                ? new HarvestBatch((string?)(b["pointer"] as JsonValue) ?? string.Empty)
                : null,
            Category = (string?)(map["category"] as JsonValue is { } c && c.GetValueKind() == JsonValueKind.String ? c : null),
            Queued = Spool.DeliveryMode.IsQueued(map),
        };
    }
}
