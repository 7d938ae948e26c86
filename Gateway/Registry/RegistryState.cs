using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// What <see cref="RegistryService"/> holds: the published snapshot, and the stored JSON of the few elements
/// (credential sets and groups, secrets included) that a change to them re-validates as a whole.
/// Subscribers are kept only as parsed objects in the snapshot: at a million SIMs their JSON would be gigabytes.
/// </summary>
internal sealed record RegistryState(RegistrySnapshot Snapshot, JsonObject Small)
{
    public static RegistryState Empty { get; } = new(RegistrySnapshot.Empty, new JsonObject { ["credentials"] = new JsonArray(), ["groups"] = new JsonArray() });
}
