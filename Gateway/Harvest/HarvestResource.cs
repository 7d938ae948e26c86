namespace Gateway.Harvest;

/// <summary>A resource that has data (<c>GET /v1/data/metadata/resources</c>): when it was last written and the JSON keys seen.</summary>
internal sealed record HarvestResource(string ResourceType, string ResourceId, long LastModifiedTime, IReadOnlyList<string> AttributeNames);
