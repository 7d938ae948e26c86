using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gateway.Registry.Stores;

/// <summary>
/// The default store: one SQLite file in the data directory, nothing to install. WAL mode lets several
/// processes on one machine share it; across machines use PostgreSQL.
/// </summary>
internal sealed class SqliteRegistryStore : IRegistryStore
{
    private readonly string _connectionString;
    private readonly string _path;

    /// <summary>
    /// One write transaction at a time from this process. SQLite allows one writer; a second one's BEGIN IMMEDIATE
    /// gets SQLITE_BUSY, which Microsoft.Data.Sqlite retries after sleeping 150 ms. With registrations and bindings
    /// written by separate batches at once (an attach storm), those sleeps made every round trip take a third of a
    /// second; waiting here instead costs only the other transaction's own time.
    /// </summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private DatabaseFileGuard? _guard;

    public SqliteRegistryStore(string path)
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

    public string Name => "sqlite";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // The database holds credential sets and inline secrets: owner-only before SQLite first opens it (its -wal and
        // -shm files then get the same mode).
        try
        {
            OwnerOnlyFiles.EnsureFile(_path);
            OwnerOnlyFiles.TightenIfPresent(_path + "-wal");
            OwnerOnlyFiles.TightenIfPresent(_path + "-shm");
            OwnerOnlyFiles.TightenIfPresent(_path + "-journal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryLoadException($"{_path}: cannot make the registry database readable by this user only: {e.Message}", e);
        }

        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS registry_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_subscribers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_credentials (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
            INSERT OR IGNORE INTO registry_version (id, version) VALUES (1, 0);
            CREATE TABLE IF NOT EXISTS registry_bindings (address TEXT PRIMARY KEY, imsi TEXT NOT NULL, nas TEXT, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS binding_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
            INSERT OR IGNORE INTO binding_version (id, version) VALUES (1, 0);
            CREATE TABLE IF NOT EXISTS binding_changelog (address TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS binding_changelog_version ON binding_changelog (version);
            CREATE TABLE IF NOT EXISTS registry_changelog (kind INTEGER NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS registry_changelog_version ON registry_changelog (version);
            """, cancellationToken);
        _guard ??= new DatabaseFileGuard(_path);
    }

    public async Task<long> ReadAsync(long sinceVersion, RegistryElementKind? only, Action<RegistryElementKind, string, string?> visit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: true);
        var version = await ReadVersionAsync(connection, tx, cancellationToken);
        foreach (var kind in (RegistryElementKind[])[RegistryElementKind.Credential, RegistryElementKind.Group, RegistryElementKind.Subscriber])
        {
            if (only is not null && only != kind)
            {
                continue;
            }

            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            var table = Table(kind);
            // A full read in storage order (the snapshot orders subscribers itself; ORDER BY id would look every row
            // up through the ID index); a read of changes joins the change log, a missing row being a deletion.
            command.CommandText = sinceVersion < 0
                ? $"SELECT id, doc FROM {table}{(kind == RegistryElementKind.Subscriber ? string.Empty : " ORDER BY id")}"
                : $"SELECT l.id, t.doc FROM registry_changelog l LEFT JOIN {table} t ON t.id = l.id WHERE l.kind = {(int)kind} AND l.version > $since ORDER BY l.version";
            command.Parameters.AddWithValue("$since", sinceVersion);
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                visit(kind, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<long> ReadAllAsync(Action<RegistryElementKind, string, string?> small, Action<int> subscriberCount, Utf8RowVisitor subscriber, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: true);
        var version = await ReadVersionAsync(connection, tx, cancellationToken);
        foreach (var kind in (RegistryElementKind[])[RegistryElementKind.Credential, RegistryElementKind.Group])
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = $"SELECT id, doc FROM {Table(kind)} ORDER BY id";
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                small(kind, reader.GetString(0), reader.GetString(1));
            }
        }

        // Counting reads the ID index (a tenth of the table) once; sizing the index from it saves growing a million
        // entries through a dozen doublings, and the memory the last doubling leaves unused.
        subscriberCount((int)await ReadScalarAsync(connection, tx, $"SELECT count(*) FROM {Table(RegistryElementKind.Subscriber)}", cancellationToken));
        ReadSubscriberBytes(connection, subscriber, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// Every subscriber row, in storage order, as the bytes SQLite holds (a TEXT column's UTF-8, read with
    /// <c>sqlite3_column_blob</c>) on the connection's own handle, inside its open transaction: ADO.NET's reader would
    /// make a string of each row, 370 MB of them for a million SIMs, only for the parser to encode them back.
    /// </summary>
    private static void ReadSubscriberBytes(SqliteConnection connection, Utf8RowVisitor visit, CancellationToken cancellationToken)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, $"SELECT id, doc FROM {Table(RegistryElementKind.Subscriber)}", out sqlite3_stmt statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (statement)
        {
            var rows = 0;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((++rows & 0xffff) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                visit(raw.sqlite3_column_blob(statement, 0), raw.sqlite3_column_blob(statement, 1));
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }
    }

    public async Task<long> GetVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadVersionAsync(connection, null, cancellationToken);
    }

    public Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.Delay(timeout, cancellationToken);

    public async Task<long> WriteAsync(IEnumerable<RegistryChange> changes, CancellationToken cancellationToken) =>
        (await Writing(() => WriteCoreAsync(changes, [], cancellationToken))).Version;

    public Task<(long Version, long BindingsVersion)> WriteAsync(IEnumerable<RegistryChange> changes, IReadOnlyList<BindingChange> bindings, CancellationToken cancellationToken) =>
        Writing(() => WriteCoreAsync(changes, bindings, cancellationToken));

    public Task<long> WriteBindingsAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken) =>
        Writing(() => WriteBindingsCoreAsync(changes, cancellationToken));

    /// <summary>One binding (or, with a null binding, its removal) in a transaction of its own.</summary>
    public Task<long> WriteBindingAsync(string address, AddressBinding? binding, string? expectedImsi, CancellationToken cancellationToken) =>
        WriteBindingsAsync([new BindingChange(address, binding, expectedImsi)], cancellationToken);

    public Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken) =>
        Writing(() => DeleteBindingsOfNasCoreAsync(nas, cancellationToken));

    /// <summary>
    /// A write, with the database's refusals to be written (read-only file or directory, disk full, I/O error, not a
    /// database any more) reported as the store being unavailable rather than as an internal error.
    /// </summary>
    private async Task<T> Writing<T>(Func<Task<T>> write)
    {
        await _writeGate.WaitAsync();
        try
        {
            return await write();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 8 or 10 or 11 or 13 or 14 or 26)
        {
            throw new StoreUnavailableException($"the registry database {_path} cannot be written: {e.Message}", e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// The registry's changes and, in the same transaction, <paramref name="bindings"/> (RADIUS auto-registration: the
    /// new SIM and its session's address are one commit, so one fsync, and a crash keeps both or neither).
    /// </summary>
    private async Task<(long Version, long BindingsVersion)> WriteCoreAsync(IEnumerable<RegistryChange> changes, IReadOnlyList<BindingChange> bindings, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: false);
        var version = await ReadVersionAsync(connection, tx, cancellationToken) + 1;

        // One prepared statement per kind of write, rebound for each change: a seed of a million rows is then a
        // million executions of a compiled statement, not a million compilations.
        var statements = new Dictionary<(string Table, bool Delete), SqliteCommand>();
        await using var log = Prepare(connection, tx, "INSERT INTO registry_changelog (kind, id, version) VALUES ($kind, $id, $v) ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version", "$kind", "$id", "$v");
        try
        {
            foreach (var change in changes)
            {
                var table = Table(change.Kind);
                var delete = change.IsDeletion;
                if (!statements.TryGetValue((table, delete), out var command))
                {
                    statements[(table, delete)] = command = delete
                        ? Prepare(connection, tx, $"DELETE FROM {table} WHERE id = $id", "$id")
                        : Prepare(connection, tx, $"INSERT INTO {table} (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc", "$id", "$doc");
                }

                command.Parameters["$id"].Value = change.Id;
                if (!delete)
                {
                    command.Parameters["$doc"].Value = change.Text();
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
                log.Parameters["$kind"].Value = (int)change.Kind;
                log.Parameters["$id"].Value = change.Id;
                log.Parameters["$v"].Value = version;
                await log.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            foreach (var command in statements.Values)
            {
                await command.DisposeAsync();
            }
        }

        await ExecuteAsync(connection, tx, "UPDATE registry_version SET version = version + 1 WHERE id = 1", cancellationToken);
        var bindingsVersion = bindings.Count == 0 ? -1 : await WriteBindingRowsAsync(connection, tx, bindings, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return (version, bindingsVersion);
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction tx, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }

    private async Task<long> WriteBindingsCoreAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: false);
        var version = await WriteBindingRowsAsync(connection, tx, changes, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// The binding changes, in order, inside <paramref name="tx"/>, each address noted in the binding change log at
    /// the new bindings version (so other instances read only what changed), and that version.
    /// </summary>
    private static async Task<long> WriteBindingRowsAsync(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken)
    {
        var version = await NextBindingsVersionAsync(connection, tx, cancellationToken);
        await using var upsert = Prepare(connection, tx, "INSERT INTO registry_bindings (address, imsi, nas, doc) VALUES ($a, $imsi, $nas, $doc) ON CONFLICT (address) DO UPDATE SET imsi = excluded.imsi, nas = excluded.nas, doc = excluded.doc", "$a", "$imsi", "$nas", "$doc");
        await using var delete = Prepare(connection, tx, "DELETE FROM registry_bindings WHERE address = $a AND ($imsi IS NULL OR imsi = $imsi)", "$a", "$imsi");
        await using var log = Prepare(connection, tx, "INSERT INTO binding_changelog (address, version) VALUES ($a, $v) ON CONFLICT (address) DO UPDATE SET version = excluded.version", "$a", "$v");
        log.Parameters["$v"].Value = version;
        foreach (var change in changes)
        {
            var command = change.Binding is null ? delete : upsert;
            command.Parameters["$a"].Value = change.Address;
            command.Parameters["$imsi"].Value = (object?)(change.Binding?.Imsi ?? change.ExpectedImsi) ?? DBNull.Value;
            if (change.Binding is { } binding)
            {
                command.Parameters["$nas"].Value = (object?)binding.Nas ?? DBNull.Value;
                command.Parameters["$doc"].Value = binding.ToJsonString();
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
            log.Parameters["$a"].Value = change.Address;
            await log.ExecuteNonQueryAsync(cancellationToken);
        }

        return version;
    }

    private async Task<long> DeleteBindingsOfNasCoreAsync(string nas, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: false);
        var version = await NextBindingsVersionAsync(connection, tx, cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = """
                INSERT INTO binding_changelog (address, version) SELECT address, $v FROM registry_bindings WHERE nas = $nas
                    ON CONFLICT (address) DO UPDATE SET version = excluded.version;
                DELETE FROM registry_bindings WHERE nas = $nas;
                """;
            command.Parameters.AddWithValue("$nas", nas);
            command.Parameters.AddWithValue("$v", version);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<long> ReadBindingsAsync(long sinceVersion, Action<string, AddressBinding?> visit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: true);
        var version = await ReadScalarAsync(connection, tx, "SELECT version FROM binding_version WHERE id = 1", cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            // Changes: the addresses noted after that version, with their row now (none: unbound since).
            command.CommandText = sinceVersion < 0
                ? "SELECT address, doc FROM registry_bindings"
                : "SELECT l.address, b.doc FROM binding_changelog l LEFT JOIN registry_bindings b ON b.address = l.address WHERE l.version > $since";
            command.Parameters.AddWithValue("$since", sinceVersion);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                visit(reader.GetString(0), reader.IsDBNull(1) ? null : AddressBinding.FromJson(JsonNode.Parse(reader.GetString(1))));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<long> GetBindingsVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadScalarAsync(connection, null, "SELECT version FROM binding_version WHERE id = 1", cancellationToken);
    }

    /// <summary>Bumps the bindings version inside a write transaction (which BEGIN IMMEDIATE holds alone) and returns it.</summary>
    private static async Task<long> NextBindingsVersionAsync(SqliteConnection connection, SqliteTransaction tx, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, tx, "UPDATE binding_version SET version = version + 1 WHERE id = 1", cancellationToken);
        return await ReadScalarAsync(connection, tx, "SELECT version FROM binding_version WHERE id = 1", cancellationToken);
    }

    private static async Task<long> ReadScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _guard?.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static string Table(RegistryElementKind kind) => kind switch
    {
        RegistryElementKind.Group => "registry_groups",
        RegistryElementKind.Subscriber => "registry_subscribers",
        _ => "registry_credentials",
    };

    /// <summary>A connection, once the database file is known to be the one this store opened (see <see cref="DatabaseFileGuard"/>).</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_guard?.Problem() is { } problem)
        {
            throw new StoreUnavailableException(problem);
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task<long> ReadVersionAsync(SqliteConnection connection, SqliteTransaction? tx, CancellationToken cancellationToken) =>
        ReadScalarAsync(connection, tx, "SELECT version FROM registry_version WHERE id = 1", cancellationToken);
}
