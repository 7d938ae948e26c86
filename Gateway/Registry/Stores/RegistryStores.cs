namespace Gateway.Registry.Stores;

/// <summary>The store the options name, always behind <see cref="CredentialEncryptingStore"/>.</summary>
internal static class RegistryStores
{
    /// <summary>
    /// SQLite in the data directory, or PostgreSQL. Wrapped even without a key: the wrapper then passes everything
    /// through, but refuses to load a store whose credential sets were encrypted (a start error that says so).
    /// </summary>
    public static IRegistryStore Create(RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IRegistryStore store = options.Store == "postgresql"
            ? new PostgresRegistryStore(options.ConnectionString!)
            : new SqliteRegistryStore(Path.Combine(options.DataDirectory, "registry.db"));
        return new CredentialEncryptingStore(store, options.SecretsKeyBytes);
    }
}
