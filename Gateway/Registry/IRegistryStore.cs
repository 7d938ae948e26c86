namespace Gateway.Registry;

/// <summary>
/// Where the registry lives. Elements are kept as their SORACOM-shaped JSON; every write bumps one version
/// counter in the same transaction, which is how other gateway instances sharing the store notice a change, and
/// records the version each element was last changed at, so they read only what changed.
/// </summary>
internal interface IRegistryStore : IAsyncDisposable
{
    /// <summary>A short name for logs: <c>sqlite</c> or <c>postgresql</c>.</summary>
    string Name { get; }

    /// <summary>Creates the schema if absent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads, in one transaction, every element (<paramref name="sinceVersion"/> negative) or only those written or
    /// deleted after <paramref name="sinceVersion"/>, handing each to <paramref name="visit"/> as it is read:
    /// credential sets, then groups, then subscribers, each as its ID and JSON text; a null text is a deletion. Nothing is held whole, so a
    /// million subscribers stream through. Returns the version read.
    /// </summary>
    Task<long> ReadAsync(long sinceVersion, RegistryElementKind? only, Action<RegistryElementKind, string, string?> visit, CancellationToken cancellationToken);

    /// <summary>The current version; cheap, polled.</summary>
    Task<long> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Returns when another writer may have changed the store, or after <paramref name="timeout"/>: a store with
    /// change notification wakes early, others simply wait and are polled.
    /// </summary>
    Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Applies the changes atomically (one transaction, however many: a seed file's million are enumerated as they
    /// are written) and returns the new version.
    /// </summary>
    Task<long> WriteAsync(IEnumerable<RegistryChange> changes, CancellationToken cancellationToken);

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
