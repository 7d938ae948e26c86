using System.Data.Common;
using System.Text.Json;

namespace Gateway.Harvest;

/// <summary>
/// The SQL both stores share (SQLite and PostgreSQL speak the same dialect for everything used here, upserts
/// included): <c>harvest_entries</c> keyed by (resource type, resource ID, time), and <c>harvest_resources</c>, one row
/// per resource with its last write and the JSON keys seen, so that the resource listing never scans entries.
/// </summary>
internal abstract class SqlHarvestStore : IHarvestStore
{
    public abstract string Name { get; }

    /// <summary>The schema, run at start; idempotent.</summary>
    protected abstract string Schema { get; }

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public virtual async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

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
            INSERT INTO harvest_entries (resource_type, resource_id, time, content_type, content) VALUES (@t, @i, @time, @ct, @c)
            ON CONFLICT (resource_type, resource_id, time) DO UPDATE SET content_type = excluded.content_type, content = excluded.content
            """))
        {
            var (t, i, time, ct, c) = (Add(insert, "t", ""), Add(insert, "i", ""), Add(insert, "time", 0L), Add(insert, "ct", ""), Add(insert, "c", ""));
            foreach (var e in entries)
            {
                (t.Value, i.Value, time.Value, ct.Value, c.Value) = (e.ResourceType, e.ResourceId, e.Time, e.ContentType, e.Content);
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

    public async Task<IReadOnlyList<HarvestEntry>> QueryAsync(HarvestQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, string.Empty);
        var where = "resource_type = @t AND resource_id = @i";
        Add(command, "t", query.ResourceType);
        Add(command, "i", query.ResourceId);
        if (query.From is { } from)
        {
            where += " AND time >= @from";
            Add(command, "from", from);
        }

        if (query.To is { } to)
        {
            where += " AND time <= @to";
            Add(command, "to", to);
        }

        if (query.After is { } after)
        {
            where += query.Ascending ? " AND time > @after" : " AND time < @after";
            Add(command, "after", after);
        }

        Add(command, "limit", (long)query.Limit);
        command.CommandText = $"SELECT time, content_type, content FROM harvest_entries WHERE {where} ORDER BY time {(query.Ascending ? "ASC" : "DESC")} LIMIT @limit";
        var list = new List<HarvestEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new HarvestEntry(query.ResourceType, query.ResourceId, reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return list;
    }

    public async Task<HarvestEntry?> GetAsync(string resourceType, string resourceId, long time, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT content_type, content FROM harvest_entries WHERE resource_type = @t AND resource_id = @i AND time = @time");
        Add(command, "t", resourceType);
        Add(command, "i", resourceId);
        Add(command, "time", time);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new HarvestEntry(resourceType, resourceId, time, reader.GetString(0), reader.GetString(1)) : null;
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

    private static DbParameter Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
        return p;
    }
}
