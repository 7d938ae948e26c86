namespace Gateway.Harvest;

/// <summary>
/// One page of one resource's entries: <see cref="From"/>–<see cref="To"/> inclusive (Unix ms), newest first unless
/// <see cref="Ascending"/>, strictly after <see cref="After"/> in that order (the previous page's last time), at most
/// <see cref="Limit"/>.
/// </summary>
internal sealed record HarvestQuery(string ResourceType, string ResourceId, long? From, long? To, bool Ascending, int Limit, long? After);
