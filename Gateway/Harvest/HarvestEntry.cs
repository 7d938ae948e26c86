namespace Gateway.Harvest;

/// <summary>
/// One stored entry in SORACOM's DataEntry shape: the resource it belongs to, its time (Unix ms, the key: a second
/// write at the same time replaces the first), and the content as text (JSON text, plain text, or Base64 for bytes).
/// </summary>
internal sealed record HarvestEntry(string ResourceType, string ResourceId, long Time, string ContentType, string Content);
