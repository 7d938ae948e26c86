namespace Gateway.Harvest;

/// <summary>Where Harvest entries live: a time series per resource, SQLite in the data directory or PostgreSQL.</summary>
internal interface IHarvestStore : IAsyncDisposable
{
    string Name { get; }

    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Writes the entries in one transaction (an entry at an existing time replaces it); returns once committed.</summary>
    Task WriteAsync(IReadOnlyList<HarvestEntry> entries, CancellationToken cancellationToken);

    Task<IReadOnlyList<HarvestEntry>> QueryAsync(HarvestQuery query, CancellationToken cancellationToken);

    /// <summary>One page of the entries of every resource whose entries carry <see cref="HarvestCategoryQuery.Category"/>.</summary>
    Task<IReadOnlyList<HarvestEntry>> QueryCategoryAsync(HarvestCategoryQuery query, CancellationToken cancellationToken);

    Task<HarvestEntry?> GetAsync(string resourceType, string resourceId, long time, CancellationToken cancellationToken);

    /// <summary>True when there was an entry to delete.</summary>
    Task<bool> DeleteAsync(string resourceType, string resourceId, long time, CancellationToken cancellationToken);

    /// <summary>Resources with data, ordered by type then ID, strictly after <paramref name="after"/> when given.</summary>
    Task<IReadOnlyList<HarvestResource>> ListResourcesAsync(string? resourceType, int limit, (string Type, string Id)? after, CancellationToken cancellationToken);

    Task<HarvestResource?> GetResourceAsync(string resourceType, string resourceId, CancellationToken cancellationToken);

    /// <summary>Deletes entries older than <paramref name="cutoffMs"/>, and resources left with none; returns the entries deleted.</summary>
    Task<int> DeleteOlderThanAsync(long cutoffMs, CancellationToken cancellationToken);
}
