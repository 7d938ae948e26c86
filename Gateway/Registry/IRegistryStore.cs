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

    /// <summary>
    /// Binds an address (RADIUS accounting), or with a null binding unbinds it — only while it is still bound to
    /// <paramref name="expectedImsi"/> when that is given. Bindings have their own version counter, so address churn
    /// never reloads the registry.
    /// </summary>
    Task<long> WriteBindingAsync(string address, AddressBinding? binding, string? expectedImsi, CancellationToken cancellationToken);

    /// <summary>Removes every binding a NAS reported (Accounting-On/Off: its sessions are all over).</summary>
    Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken);

    /// <summary>Every binding and the bindings version.</summary>
    Task<(IReadOnlyList<(string Address, AddressBinding Binding)> Bindings, long Version)> LoadBindingsAsync(CancellationToken cancellationToken);

    /// <summary>The bindings version; cheap, polled.</summary>
    Task<long> GetBindingsVersionAsync(CancellationToken cancellationToken);
}
