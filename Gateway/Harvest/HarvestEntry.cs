namespace Gateway.Harvest;

/// <summary>
/// One stored entry in SORACOM's DataEntry shape: the resource it belongs to, its time (Unix ms, the key: a second
/// write at the same time replaces the first), the content as text (JSON text, plain text, or Base64 for bytes), and
/// the group's <c>category</c> label when it sets one (spec §4.1–4.2).
/// </summary>
internal sealed record HarvestEntry(string ResourceType, string ResourceId, long Time, string ContentType, string Content, string? Category = null);
