using System.Data.Common;
using Gateway.Registry.Stores;
using Microsoft.Data.Sqlite;

namespace Gateway.Harvest;

/// <summary>
/// The default store: <c>harvest.db</c> in the data directory, apart from the registry's database so that a busy
/// ingest never holds the registry's write lock. WAL lets the API read while the writer commits; <c>synchronous =
/// FULL</c> because a device is told its data is stored only after the commit, and that must survive a power cut.
/// </summary>
internal sealed class SqliteHarvestStore : SqlHarvestStore
{
    private readonly string _path;
    private readonly string _connectionString;

    public SqliteHarvestStore(string path)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Name => "sqlite";

    protected override string Schema => """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS harvest_entries (
          resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, time INTEGER NOT NULL, content_type TEXT NOT NULL, content TEXT NOT NULL,
          category TEXT, PRIMARY KEY (resource_type, resource_id, time)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS harvest_entries_time ON harvest_entries (time);
        CREATE TABLE IF NOT EXISTS harvest_resources (
          resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, last_modified INTEGER NOT NULL, attribute_names TEXT NOT NULL,
          PRIMARY KEY (resource_type, resource_id)) WITHOUT ROWID;
        """;

    public override Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Device data is the customer's: owner-only like the registry's database, before SQLite first opens it.
        OwnerOnlyFiles.EnsureFile(_path);
        OwnerOnlyFiles.TightenIfPresent(_path + "-wal");
        OwnerOnlyFiles.TightenIfPresent(_path + "-shm");
        return base.InitializeAsync(cancellationToken);
    }

    /// <summary>SQLite has no <c>ADD COLUMN IF NOT EXISTS</c>: a <c>harvest.db</c> from before categories gets the column here.</summary>
    protected override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('harvest_entries') WHERE name = 'category'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            command.CommandText = "ALTER TABLE harvest_entries ADD COLUMN category TEXT";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        command.CommandText = CategoryIndex;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = FULL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
