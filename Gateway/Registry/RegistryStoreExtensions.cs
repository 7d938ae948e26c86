using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>Whole-registry reads for small registries and tests; the service itself streams (<see cref="IRegistryStore.ReadAsync"/>).</summary>
internal static class RegistryStoreExtensions
{
    /// <summary>Every element as one seed-shaped document, and its version.</summary>
    public static async Task<StoredRegistry> LoadAsync(this IRegistryStore store, CancellationToken cancellationToken)
    {
        var credentials = new JsonArray();
        var groups = new JsonArray();
        var subscribers = new JsonArray();
        var version = await store.ReadAsync(-1, null, (kind, _, doc) =>
        {
            var section = kind switch
            {
                RegistryElementKind.Credential => credentials,
                RegistryElementKind.Group => groups,
                _ => subscribers,
            };
            section.Add(doc is null ? null : JsonNode.Parse(doc));
        }, cancellationToken);
        return new StoredRegistry(new JsonObject { ["credentials"] = credentials, ["groups"] = groups, ["subscribers"] = subscribers }, version);
    }
}
