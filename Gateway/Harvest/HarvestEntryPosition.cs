namespace Gateway.Harvest;

/// <summary>Where a category listing's page ended: the last entry's time and resource, the tie-break across resources.</summary>
internal sealed record HarvestEntryPosition(long Time, string ResourceType, string ResourceId);
