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

    /// <summary>
    /// The full read of a start, as <see cref="ReadAsync"/> with no version, but with subscribers handed over as UTF-8
    /// (<paramref name="subscriber"/>) and the other elements as text (<paramref name="small"/>). A store that holds
    /// UTF-8 (SQLite) passes its own bytes; by default each text is encoded into a reused buffer. A store that can count
    /// the subscribers cheaply tells <paramref name="subscriberCount"/> before the first, so the index is sized once.
    /// </summary>
    Task<long> ReadAllAsync(Action<RegistryElementKind, string, string?> small, Action<int> subscriberCount, Utf8RowVisitor subscriber, CancellationToken cancellationToken) =>
        ReadAsync(-1, null, TextRows(small, subscriber), cancellationToken);

    /// <summary>A visitor for text rows that passes subscribers on as UTF-8 (encoded into one reused buffer) and the rest as text.</summary>
    static Action<RegistryElementKind, string, string?> TextRows(Action<RegistryElementKind, string, string?> small, Utf8RowVisitor subscriber)
    {
        var buffer = new byte[4096];
        return (kind, id, text) =>
        {
            if (kind != RegistryElementKind.Subscriber || text is null)
            {
                small(kind, id, text);
                return;
            }

            var utf8 = System.Text.Encoding.UTF8;
            var needed = utf8.GetMaxByteCount(id.Length + text.Length);
            if (needed > buffer.Length)
            {
                buffer = new byte[needed];
            }

            var idLength = utf8.GetBytes(id, buffer);
            var textLength = utf8.GetBytes(text, buffer.AsSpan(idLength));
            subscriber(buffer.AsSpan(0, idLength), buffer.AsSpan(idLength, textLength));
        };
    }

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

    /// <summary>
    /// Several binding changes in one transaction, applied in order, and one bump of the bindings version (an attach
    /// storm: a transaction per batch, not per SIM). By default one transaction each.
    /// </summary>
    async Task<long> WriteBindingsAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken)
    {
        var version = await GetBindingsVersionAsync(cancellationToken);
        foreach (var c in changes)
        {
            version = await WriteBindingAsync(c.Address, c.Binding, c.ExpectedImsi, cancellationToken);
        }

        return version;
    }

    /// <summary>Removes every binding a NAS reported (Accounting-On/Off: its sessions are all over).</summary>
    Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken);

    /// <summary>Every binding and the bindings version.</summary>
    Task<(IReadOnlyList<(string Address, AddressBinding Binding)> Bindings, long Version)> LoadBindingsAsync(CancellationToken cancellationToken);

    /// <summary>The bindings version; cheap, polled.</summary>
    Task<long> GetBindingsVersionAsync(CancellationToken cancellationToken);
}
