namespace Gateway.Harvest;

/// <summary>
/// One page of the entries of every resource with one category: <see cref="From"/>–<see cref="To"/> inclusive (Unix
/// ms), newest first unless <see cref="Ascending"/>, ordered by time then resource type and ID (several resources can
/// write at the same millisecond), strictly after <see cref="After"/> in that order, at most <see cref="Limit"/>.
/// </summary>
internal sealed record HarvestCategoryQuery(string Category, long? From, long? To, bool Ascending, int Limit, HarvestEntryPosition? After);
