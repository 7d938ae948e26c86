using System.Text.Json.Nodes;
using Npgsql;

namespace Gateway.Registry.Stores;

/// <summary>
/// The store for several gateway instances: PostgreSQL, with <c>NOTIFY gateway_registry</c> on every write so
/// other instances reload at once instead of waiting for their next poll.
/// </summary>
internal sealed class PostgresRegistryStore : IRegistryStore
{
    private const string Channel = "gateway_registry";
    private readonly NpgsqlDataSource _dataSource;
    private NpgsqlConnection? _listener;

    public PostgresRegistryStore(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name => "postgresql";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // TEXT rather than JSONB: JSONB reorders keys, and what the API returns should read as it was written.
        await using var command = _dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS registry_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_subscribers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_credentials (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
            INSERT INTO registry_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
            CREATE TABLE IF NOT EXISTS registry_bindings (address TEXT PRIMARY KEY, imsi TEXT NOT NULL, nas TEXT, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS binding_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
            INSERT INTO binding_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
            CREATE TABLE IF NOT EXISTS registry_changelog (kind INTEGER NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (kind, id));
            CREATE INDEX IF NOT EXISTS registry_changelog_version ON registry_changelog (version);
            CREATE TABLE IF NOT EXISTS binding_changelog (address TEXT PRIMARY KEY, version BIGINT NOT NULL);
            CREATE INDEX IF NOT EXISTS binding_changelog_version ON binding_changelog (version);
            """);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two instances creating the schema at the same moment: the other one won, which is fine.
        }
    }

    public Task<long> ReadAsync(long sinceVersion, RegistryElementKind? only, Action<RegistryElementKind, string, string?> visit, CancellationToken cancellationToken) =>
        ReadAsync(sinceVersion, only, visit, subscriberCount: null, cancellationToken);

    public Task<long> ReadAllAsync(Action<RegistryElementKind, string, string?> small, Action<int> subscriberCount, Utf8RowVisitor subscriber, CancellationToken cancellationToken) =>
        ReadAsync(-1, null, IRegistryStore.TextRows(small, subscriber), subscriberCount, cancellationToken);

    /// <param name="subscriberCount">Told how many subscribers to expect (a hint) before the first: a whole read only.</param>
    private async Task<long> ReadAsync(
        long sinceVersion, RegistryElementKind? only, Action<RegistryElementKind, string, string?> visit, Action<int>? subscriberCount, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        long version;
        await using (var versionCommand = new NpgsqlCommand("SELECT version FROM registry_version WHERE id = 1", connection, tx))
        {
            version = (long)(await versionCommand.ExecuteScalarAsync(cancellationToken))!;
        }

        foreach (var kind in (RegistryElementKind[])[RegistryElementKind.Credential, RegistryElementKind.Group, RegistryElementKind.Subscriber])
        {
            if (only is not null && only != kind)
            {
                continue;
            }

            if (kind == RegistryElementKind.Subscriber && subscriberCount is not null)
            {
                subscriberCount(await SubscriberCountHintAsync(connection, tx, cancellationToken));
            }

            var table = SqliteRegistryStore.Table(kind);
            await using var command = new NpgsqlCommand(
                sinceVersion < 0
                    ? $"SELECT id, doc FROM {table} ORDER BY id COLLATE \"C\""
                    : $"SELECT l.id, t.doc FROM registry_changelog l LEFT JOIN {table} t ON t.id = l.id WHERE l.kind = {(int)kind} AND l.version > @since ORDER BY l.version",
                connection,
                tx);
            command.Parameters.AddWithValue("since", sinceVersion);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                visit(kind, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// How many subscribers a whole read will find, only to size the index once (as SQLite's count does) rather than
    /// grow it through a dozen doublings. The planner's estimate (<c>pg_class.reltuples</c>, kept by ANALYZE and
    /// autovacuum) costs nothing, where count(*) would read the whole table once more before reading it; a table never
    /// analyzed (-1 since PostgreSQL 14: freshly created or loaded) is counted instead. A stale estimate only sizes the
    /// index too large or too small, never changes what is loaded.
    /// </summary>
    private static async Task<int> SubscriberCountHintAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE (SELECT count(*) FROM registry_subscribers) END
            FROM pg_class c WHERE c.oid = 'registry_subscribers'::regclass
            """,
            connection,
            tx);
        var estimate = await command.ExecuteScalarAsync(cancellationToken) as long? ?? 0;
        return (int)Math.Clamp(estimate, 0, int.MaxValue);
    }

    public async Task<long> GetVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT version FROM registry_version WHERE id = 1");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            if (_listener is null)
            {
                _listener = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var listen = new NpgsqlCommand($"LISTEN {Channel}", _listener);
                await listen.ExecuteNonQueryAsync(cancellationToken);
            }

            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            await _listener.WaitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out with no notification: the caller polls the version anyway.
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken listening connection is replaced on the next call; polling covers the gap.
            if (_listener is not null)
            {
                await _listener.DisposeAsync();
                _listener = null;
            }

            await Task.Delay(timeout, cancellationToken);
        }
    }

    public async Task<long> WriteAsync(IEnumerable<RegistryChange> changes, CancellationToken cancellationToken) =>
        (await WriteAsync(changes, [], cancellationToken)).Version;

    /// <summary>
    /// The registry's changes and, in the same transaction, <paramref name="bindings"/>. The registry's version row is
    /// locked before the bindings' (as no binding-only write does the other way round), so writers never deadlock.
    /// </summary>
    public async Task<(long Version, long BindingsVersion)> WriteAsync(IEnumerable<RegistryChange> changes, IReadOnlyList<BindingChange> bindings, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        // The version row lock serialises writers across instances, so versions never interleave.
        long version;
        await using (var lockRow = new NpgsqlCommand("SELECT version FROM registry_version WHERE id = 1 FOR UPDATE", connection, tx))
        {
            version = (long)(await lockRow.ExecuteScalarAsync(cancellationToken))! + 1;
        }

        // Sent in batches: one round trip per few hundred changes, so a seed of a million is not a million round trips.
        var batch = new NpgsqlBatch(connection, tx);
        try
        {
            foreach (var change in changes)
            {
                var table = SqliteRegistryStore.Table(change.Kind);
                var write = change.IsDeletion
                    ? new NpgsqlBatchCommand($"DELETE FROM {table} WHERE id = $1")
                    : new NpgsqlBatchCommand($"INSERT INTO {table} (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc");
                write.Parameters.Add(new NpgsqlParameter { Value = change.Id });
                if (!change.IsDeletion)
                {
                    write.Parameters.Add(new NpgsqlParameter { Value = change.Text() });
                }

                var log = new NpgsqlBatchCommand("INSERT INTO registry_changelog (kind, id, version) VALUES ($1, $2, $3) ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version");
                log.Parameters.Add(new NpgsqlParameter { Value = (int)change.Kind });
                log.Parameters.Add(new NpgsqlParameter { Value = change.Id });
                log.Parameters.Add(new NpgsqlParameter { Value = version });
                batch.BatchCommands.Add(write);
                batch.BatchCommands.Add(log);
                if (batch.BatchCommands.Count >= 1000)
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                    await batch.DisposeAsync();
                    batch = new NpgsqlBatch(connection, tx);
                }
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            await batch.DisposeAsync();
        }

        await using (var bump = new NpgsqlCommand("UPDATE registry_version SET version = @v WHERE id = 1", connection, tx))
        {
            bump.Parameters.AddWithValue("v", version);
            await bump.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', @v)", connection, tx))
        {
            notify.Parameters.AddWithValue("v", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        var bindingsVersion = bindings.Count == 0 ? -1 : await WriteBindingRowsAsync(connection, tx, bindings, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return (version, bindingsVersion);
    }

    public async Task<long> WriteBindingsAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var version = await WriteBindingRowsAsync(connection, tx, changes, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// The binding changes inside <paramref name="tx"/>, sent as batches (a round trip per few hundred, not per
    /// session), each address noted in the binding change log at the new version, and that version.
    /// </summary>
    private static async Task<long> WriteBindingRowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken)
    {
        var version = await NextBindingsVersionAsync(connection, tx, cancellationToken);
        foreach (var chunk in changes.Chunk(500))
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var change in chunk)
            {
                var write = change.Binding is null
                    ? new NpgsqlBatchCommand("DELETE FROM registry_bindings WHERE address = $1 AND ($2::text IS NULL OR imsi = $2::text)")
                    : new NpgsqlBatchCommand("INSERT INTO registry_bindings (address, imsi, nas, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (address) DO UPDATE SET imsi = excluded.imsi, nas = excluded.nas, doc = excluded.doc");
                write.Parameters.Add(new NpgsqlParameter { Value = change.Address });
                write.Parameters.Add(new NpgsqlParameter { Value = (object?)(change.Binding?.Imsi ?? change.ExpectedImsi) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                if (change.Binding is { } binding)
                {
                    write.Parameters.Add(new NpgsqlParameter { Value = (object?)binding.Nas ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    write.Parameters.Add(new NpgsqlParameter { Value = binding.ToJsonString() });
                }

                var log = new NpgsqlBatchCommand("INSERT INTO binding_changelog (address, version) VALUES ($1, $2) ON CONFLICT (address) DO UPDATE SET version = excluded.version");
                log.Parameters.Add(new NpgsqlParameter { Value = change.Address });
                log.Parameters.Add(new NpgsqlParameter { Value = version });
                batch.BatchCommands.Add(write);
                batch.BatchCommands.Add(log);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        return version;
    }

    public async Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var version = await NextBindingsVersionAsync(connection, tx, cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO binding_changelog (address, version) SELECT address, @v FROM registry_bindings WHERE nas = @nas
                ON CONFLICT (address) DO UPDATE SET version = excluded.version;
            DELETE FROM registry_bindings WHERE nas = @nas;
            """,
            connection,
            tx))
        {
            command.Parameters.AddWithValue("nas", nas);
            command.Parameters.AddWithValue("v", version);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<long> ReadBindingsAsync(long sinceVersion, Action<string, AddressBinding?> visit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        long version;
        await using (var versionCommand = new NpgsqlCommand("SELECT version FROM binding_version WHERE id = 1", connection, tx))
        {
            version = (long)(await versionCommand.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var command = new NpgsqlCommand(
            sinceVersion < 0
                ? "SELECT address, doc FROM registry_bindings"
                : "SELECT l.address, b.doc FROM binding_changelog l LEFT JOIN registry_bindings b ON b.address = l.address WHERE l.version > @since",
            connection,
            tx))
        {
            command.Parameters.AddWithValue("since", sinceVersion);
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
        await using var command = _dataSource.CreateCommand("SELECT version FROM binding_version WHERE id = 1");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Bumps the bindings version first in a write transaction: its row lock then holds other writers back until this
    /// one commits, so versions commit in order and a reader that saw a version has every change up to it.
    /// </summary>
    private static async Task<long> NextBindingsVersionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand("UPDATE binding_version SET version = version + 1 WHERE id = 1 RETURNING version", connection, tx);
        var version = (long)(await bump.ExecuteScalarAsync(cancellationToken))!;
        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', 'bindings')", connection, tx))
        {
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        return version;
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
    }
}
