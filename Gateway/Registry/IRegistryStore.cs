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
    /// As <see cref="WriteAsync(IEnumerable{RegistryChange}, CancellationToken)"/>, with <paramref name="bindings"/>
    /// written in the same transaction (RADIUS auto-registration: the new SIM and its session's binding are one
    /// durable write, kept or lost together). Returns both versions; the bindings version is -1 when there were none.
    /// </summary>
    Task<(long Version, long BindingsVersion)> WriteAsync(IEnumerable<RegistryChange> changes, IReadOnlyList<BindingChange> bindings, CancellationToken cancellationToken);

    /// <summary>
    /// Binds addresses (RADIUS accounting) or, with a null binding, unbinds them — only while still bound to the
    /// change's expected IMSI when one is given — in one transaction, in order, with one bump of the bindings
    /// version (an attach storm: a transaction per batch, not per SIM). Bindings have their own version counter, so
    /// address churn never reloads the registry; each changed address is noted at that version, so other instances
    /// read only what changed (<see cref="ReadBindingsAsync"/>).
    /// </summary>
    Task<long> WriteBindingsAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken);

    /// <summary>Removes every binding a NAS reported (Accounting-On/Off: its sessions are all over).</summary>
    Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: every binding (<paramref name="sinceVersion"/> negative), or each address changed after
    /// <paramref name="sinceVersion"/> with its binding now (null: unbound). Returns the bindings version read.
    /// </summary>
    Task<long> ReadBindingsAsync(long sinceVersion, Action<string, AddressBinding?> visit, CancellationToken cancellationToken);

    /// <summary>The bindings version; cheap, polled.</summary>
    Task<long> GetBindingsVersionAsync(CancellationToken cancellationToken);
}
