namespace Gateway.Registry;

/// <summary>
/// Where the registry lives. Elements are kept as their SORACOM-shaped JSON; every write bumps one version
/// counter in the same transaction, which is how other gateway instances sharing the store notice a change.
/// </summary>
internal interface IRegistryStore : IAsyncDisposable
{
    /// <summary>A short name for logs: <c>sqlite</c> or <c>postgresql</c>.</summary>
    string Name { get; }

    /// <summary>Creates the schema if absent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Every element and the version they are at, read in one transaction.</summary>
    Task<StoredRegistry> LoadAsync(CancellationToken cancellationToken);

    /// <summary>The current version; cheap, polled.</summary>
    Task<long> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Returns when another writer may have changed the store, or after <paramref name="timeout"/>: a store with
    /// change notification wakes early, others simply wait and are polled.
    /// </summary>
    Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Applies the changes atomically and returns the new version.</summary>
    Task<long> WriteAsync(IReadOnlyList<RegistryChange> changes, CancellationToken cancellationToken);
}
