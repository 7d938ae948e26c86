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

    /// <summary>
    /// Address ranges (normalised CIDR) from <c>configuration.GatewayIdentity.ipRanges</c>: devices there with no SIM
    /// of their own are served with this group's settings, anonymously.
    /// </summary>
    public IReadOnlyList<string> IpRanges { get; init; } = [];

    public long CreatedTime { get; init; }

    public long LastModifiedTime { get; init; }
}
