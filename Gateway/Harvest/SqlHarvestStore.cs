using System.Data.Common;
using System.Text.Json;

namespace Gateway.Harvest;

/// <summary>
/// The SQL both stores share (SQLite and PostgreSQL speak the same dialect for everything used here, upserts
/// included): <c>harvest_entries</c> keyed by (resource type, resource ID, time), and <c>harvest_resources</c>, one row
/// per resource with its last write and the JSON keys seen, so that the resource listing never scans entries. An
/// entry's optional <c>category</c> has its own index (only rows that have one), for the listing by category.
/// </summary>
internal abstract class SqlHarvestStore : IHarvestStore
{
    public abstract string Name { get; }

    /// <summary>The schema, run at start; idempotent.</summary>
    protected abstract string Schema { get; }

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Brings a database made by an older gateway up to <see cref="Schema"/> (the <c>category</c> column and its
    /// index); run after it at every start, so it must be idempotent.
    /// </summary>
    protected abstract Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public virtual async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
        await MigrateAsync(connection, cancellationToken);
    }

    /// <summary>The index behind the category listing; only entries with a category are in it.</summary>
    protected const string CategoryIndex = "CREATE INDEX IF NOT EXISTS harvest_entries_category ON harvest_entries (category, time) WHERE category IS NOT NULL;";

    public async Task WriteAsync(IReadOnlyList<HarvestEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        // One prepared statement reused for the whole batch: the batch is what makes ingest keep up, not the SQL.
        await using (var insert = Command(connection, tx, """
            INSERT INTO harvest_entries (resource_type, resource_id, time, content_type, content, category) VALUES (@t, @i, @time, @ct, @c, @cat)
            ON CONFLICT (resource_type, resource_id, time) DO UPDATE SET content_type = excluded.content_type, content = excluded.content, category = excluded.category
            """))
        {
            var (t, i, time, ct, c) = (Add(insert, "t", ""), Add(insert, "i", ""), Add(insert, "time", 0L), Add(insert, "ct", ""), Add(insert, "c", ""));
            var cat = AddText(insert, "cat");
            foreach (var e in entries)
            {
                (t.Value, i.Value, time.Value, ct.Value, c.Value) = (e.ResourceType, e.ResourceId, e.Time, e.ContentType, e.Content);
                cat.Value = (object?)e.Category ?? DBNull.Value;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var resources = new Dictionary<(string, string), (long Last, SortedSet<string> Names)>();
        foreach (var e in entries)
        {
            if (!resources.TryGetValue((e.ResourceType, e.ResourceId), out var r))
            {
                r = (e.Time, new SortedSet<string>(StringComparer.Ordinal));
            }

            AttributeNames(e, r.Names);
            resources[(e.ResourceType, e.ResourceId)] = (Math.Max(r.Last, e.Time), r.Names);
        }

        foreach (var ((type, id), (last, names)) in resources)
        {
            await UpsertResourceAsync(connection, tx, type, id, last, names, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>The listings' <c>from</c>/<c>to</c> bounds (Unix ms, inclusive) as a clause to append, with their parameters.</summary>
    private static string TimeRange(DbCommand command, long? from, long? to)
    {
        var clause = string.Empty;
        if (from is { } f)
        {
            clause += " AND time >= @from";
            Add(command, "from", f);
        }

        if (to is { } t)
        {
            clause += " AND time <= @to";
            Add(command, "to", t);
        }

        return clause;
    }

    public async Task<IReadOnlyList<HarvestEntry>> QueryAsync(HarvestQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, string.Empty);
        var where = "resource_type = @t AND resource_id = @i";
        Add(command, "t", query.ResourceType);
        Add(command, "i", query.ResourceId);
        where += TimeRange(command, query.From, query.To);

        if (query.After is { } after)
        {
            where += query.Ascending ? " AND time > @after" : " AND time < @after";
            Add(command, "after", after);
        }

        Add(command, "limit", (long)query.Limit);
        command.CommandText = $"SELECT resource_type, resource_id, time, content_type, content, category FROM harvest_entries WHERE {where} ORDER BY time {(query.Ascending ? "ASC" : "DESC")} LIMIT @limit";
        return await ReadEntriesAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<HarvestEntry>> QueryCategoryAsync(HarvestCategoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, string.Empty);
        var where = "category = @cat";
        Add(command, "cat", query.Category);
        where += TimeRange(command, query.From, query.To);

        // Row values: (time, type, id) strictly beyond the previous page's last entry, in the listing's order.
        if (query.After is { } after)
        {
            where += query.Ascending ? " AND (time, resource_type, resource_id) > (@at, @aty, @aid)" : " AND (time, resource_type, resource_id) < (@at, @aty, @aid)";
            Add(command, "at", after.Time);
            Add(command, "aty", after.ResourceType);
            Add(command, "aid", after.ResourceId);
        }

        var order = query.Ascending ? "ASC" : "DESC";
        Add(command, "limit", (long)query.Limit);
        command.CommandText = $"SELECT resource_type, resource_id, time, content_type, content, category FROM harvest_entries WHERE {where} ORDER BY time {order}, resource_type {order}, resource_id {order} LIMIT @limit";
        return await ReadEntriesAsync(command, cancellationToken);
    }

    public async Task<HarvestEntry?> GetAsync(string resourceType, string resourceId, long time, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT resource_type, resource_id, time, content_type, content, category FROM harvest_entries WHERE resource_type = @t AND resource_id = @i AND time = @time");
        Add(command, "t", resourceType);
        Add(command, "i", resourceId);
        Add(command, "time", time);
        return (await ReadEntriesAsync(command, cancellationToken)) is [var entry] ? entry : null;
    }

    public async Task<bool> DeleteAsync(string resourceType, string resourceId, long time, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, tx, "DELETE FROM harvest_entries WHERE resource_type = @t AND resource_id = @i AND time = @time");
        Add(command, "t", resourceType);
        Add(command, "i", resourceId);
        Add(command, "time", time);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        await using var orphan = Command(connection, tx, """
            DELETE FROM harvest_resources WHERE resource_type = @t AND resource_id = @i
              AND NOT EXISTS (SELECT 1 FROM harvest_entries e WHERE e.resource_type = @t AND e.resource_id = @i)
            """);
        Add(orphan, "t", resourceType);
        Add(orphan, "i", resourceId);
        await orphan.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<IReadOnlyList<HarvestResource>> ListResourcesAsync(string? resourceType, int limit, (string Type, string Id)? after, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, string.Empty);
        var where = "1 = 1";
        if (resourceType is not null)
        {
            where += " AND resource_type = @type";
            Add(command, "type", resourceType);
        }

        if (after is { } a)
        {
            where += " AND (resource_type > @at OR (resource_type = @at AND resource_id > @ai))";
            Add(command, "at", a.Type);
            Add(command, "ai", a.Id);
        }

        Add(command, "limit", (long)limit);
        command.CommandText = $"SELECT resource_type, resource_id, last_modified, attribute_names FROM harvest_resources WHERE {where} ORDER BY resource_type, resource_id LIMIT @limit";
        var list = new List<HarvestResource>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadResource(reader));
        }

        return list;
    }

    public async Task<HarvestResource?> GetResourceAsync(string resourceType, string resourceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT resource_type, resource_id, last_modified, attribute_names FROM harvest_resources WHERE resource_type = @t AND resource_id = @i");
        Add(command, "t", resourceType);
        Add(command, "i", resourceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadResource(reader) : null;
    }

    public async Task<int> DeleteOlderThanAsync(long cutoffMs, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, tx, "DELETE FROM harvest_entries WHERE time < @cutoff");
        Add(command, "cutoff", cutoffMs);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await using var orphans = Command(connection, tx, """
            DELETE FROM harvest_resources WHERE NOT EXISTS
              (SELECT 1 FROM harvest_entries e WHERE e.resource_type = harvest_resources.resource_type AND e.resource_id = harvest_resources.resource_id)
            """);
        await orphans.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    private static async Task UpsertResourceAsync(DbConnection connection, DbTransaction tx, string type, string id, long last, SortedSet<string> names, CancellationToken cancellationToken)
    {
        await using (var select = Command(connection, tx, "SELECT attribute_names FROM harvest_resources WHERE resource_type = @t AND resource_id = @i"))
        {
            Add(select, "t", type);
            Add(select, "i", id);
            if (await select.ExecuteScalarAsync(cancellationToken) is string stored)
            {
                names.UnionWith(JsonSerializer.Deserialize(stored, HarvestJsonContext.Default.StringArray) ?? []);
            }
        }

        await using var upsert = Command(connection, tx, """
            INSERT INTO harvest_resources (resource_type, resource_id, last_modified, attribute_names) VALUES (@t, @i, @last, @names)
            ON CONFLICT (resource_type, resource_id) DO UPDATE SET
              last_modified = CASE WHEN excluded.last_modified > harvest_resources.last_modified THEN excluded.last_modified ELSE harvest_resources.last_modified END,
              attribute_names = excluded.attribute_names
            """);
        Add(upsert, "t", type);
        Add(upsert, "i", id);
        Add(upsert, "last", last);
        Add(upsert, "names", JsonSerializer.Serialize(names.ToArray(), HarvestJsonContext.Default.StringArray));
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<HarvestEntry>> ReadEntriesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var list = new List<HarvestEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new HarvestEntry(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return list;
    }

    private static HarvestResource ReadResource(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
        JsonSerializer.Deserialize(reader.GetString(3), HarvestJsonContext.Default.StringArray) ?? []);

    /// <summary>The top-level keys of a JSON object entry (what SORACOM lists as a resource's <c>attributeNames</c>).</summary>
    private static void AttributeNames(HarvestEntry entry, SortedSet<string> names)
    {
        if (entry.ContentType != HarvestContent.Json)
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(entry.Content);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    names.Add(p.Name);
                }
            }
        }
        catch (JsonException)
        {
            // Stored JSON was checked on the way in; a bad one here only loses its names.
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }

    /// <summary>A nullable text parameter: typed up front, as PostgreSQL cannot infer a type from a first value of NULL.</summary>
    private static DbParameter AddText(DbCommand command, string name)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = System.Data.DbType.String;
        p.Value = DBNull.Value;
        command.Parameters.Add(p);
        return p;
    }

    private static DbParameter Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
        return p;
    }
}
