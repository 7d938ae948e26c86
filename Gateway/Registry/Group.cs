using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// A SIM group in SORACOM's shape: tags and namespaced configuration (<c>SoracomAir</c>, <c>SoracomBeam</c>, …) in
/// the map form <c>configuration.&lt;Namespace&gt;.&lt;key&gt; = value</c>, exactly as <c>GET /v1/groups/{id}</c> returns it.
/// </summary>
internal sealed class Group
{
    public required string GroupId { get; init; }

    public Dictionary<string, string> Tags { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Namespace → (key → value). Held as JSON so that unknown keys round-trip unchanged.</summary>
    public JsonObject Configuration { get; init; } = [];

    public long CreatedTime { get; init; }

    public long LastModifiedTime { get; init; }
}
