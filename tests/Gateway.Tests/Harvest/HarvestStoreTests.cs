using Gateway.Harvest;
using Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Harvest;

/// <summary>The Harvest store over SQLite in a temporary directory.</summary>
public sealed class SqliteHarvestStoreTests : HarvestStoreTests
{
    private protected override Task<IHarvestStore> CreateStoreAsync() =>
        Task.FromResult<IHarvestStore>(new SqliteHarvestStore(Path.Combine(Dir, "harvest.db")));

    private protected override Task<IHarvestStore> ReopenStoreAsync() => CreateStoreAsync();

    private protected override string PoisonTrigger => """
        CREATE TRIGGER poison BEFORE INSERT ON harvest_entries WHEN NEW.content = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned entry'); END;
        """;

    private protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Dir, "harvest.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The same suite over a real PostgreSQL.</summary>
public sealed class PostgresHarvestStoreTests(PostgresServer postgres) : HarvestStoreTests
{
    private string _connectionString = string.Empty;

    private protected override async Task<IHarvestStore> CreateStoreAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync();
        return new PostgresHarvestStore(_connectionString);
    }

    private protected override Task<IHarvestStore> ReopenStoreAsync() => Task.FromResult<IHarvestStore>(new PostgresHarvestStore(_connectionString));

    private protected override string PoisonTrigger => """
        CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.content = 'poison' THEN RAISE EXCEPTION 'poisoned entry'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER poison BEFORE INSERT ON harvest_entries FOR EACH ROW EXECUTE FUNCTION poison();
        """;

    private protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A time series per resource: writes, overwrite at the same time, pages both ways, one entry, resources, retention, the batching writer.</summary>
public abstract class HarvestStoreTests : IAsyncLifetime
{
    private const string Imsi = "440100000000001";
    private IHarvestStore _store = null!;

    protected string Dir { get; } = Directory.CreateTempSubdirectory("gw-harvest-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected abstract Task<IHarvestStore> CreateStoreAsync();

    /// <summary>A new store on the same database, as a restarted gateway opens it.</summary>
    private protected abstract Task<IHarvestStore> ReopenStoreAsync();

    /// <summary>Raw SQL against the store's database, to build what an older gateway left behind.</summary>
    private protected abstract Task ExecuteAsync(string sql);

    /// <summary>A trigger that makes the store fail on an entry whose content is <c>poison</c>, in the store's own SQL.</summary>
    private protected abstract string PoisonTrigger { get; }

    public async ValueTask InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(Ct);
        await _store.InitializeAsync(Ct); // idempotent: a second start finds the schema
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static HarvestEntry Json(long time, string content = "{\"temp\":21.5}", string id = Imsi) => new("Subscriber", id, time, "application/json", content);

    [Fact]
    public async Task Pages_newest_first_and_oldest_first_within_from_and_to()
    {
        await _store.WriteAsync([.. Enumerable.Range(1, 9).Select(i => Json(1000 * i))], Ct);
        await _store.WriteAsync([Json(5000, id: "440100000000002")], Ct);

        var desc = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, 2000, 8000, false, 3, null), Ct);
        Assert.Equal([8000L, 7000, 6000], desc.Select(static e => e.Time));
        var next = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, 2000, 8000, false, 3, desc[^1].Time), Ct);
        Assert.Equal([5000L, 4000, 3000], next.Select(static e => e.Time));

        var asc = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, null, null, true, 4, 6000), Ct);
        Assert.Equal([7000L, 8000, 9000], asc.Select(static e => e.Time));
        Assert.All(asc, static e => Assert.Equal("{\"temp\":21.5}", e.Content));
    }

    [Fact]
    public async Task Lists_a_category_across_resources_in_pages_both_ways()
    {
        // Two resources writing at the same millisecond: the listing orders them by resource and pages between them.
        await _store.WriteAsync([Json(1000) with { Category = "cold" }, Json(2000) with { Category = "cold" }, Json(3000) with { Category = "hot" }, Json(4000)], Ct);
        await _store.WriteAsync([Json(2000, id: "440100000000002") with { Category = "cold" }, Json(5000, id: "440100000000002") with { Category = "cold" }], Ct);

        var desc = await _store.QueryCategoryAsync(new HarvestCategoryQuery("cold", null, null, false, 2, null), Ct);
        Assert.Equal(["5000/440100000000002", "2000/440100000000002"], desc.Select(static e => $"{e.Time}/{e.ResourceId}"));
        Assert.All(desc, static e => Assert.Equal("cold", e.Category));
        var last = desc[^1];
        var next = await _store.QueryCategoryAsync(new HarvestCategoryQuery("cold", null, null, false, 2, new HarvestEntryPosition(last.Time, last.ResourceType, last.ResourceId)), Ct);
        Assert.Equal([$"2000/{Imsi}", $"1000/{Imsi}"], next.Select(static e => $"{e.Time}/{e.ResourceId}"));

        var asc = await _store.QueryCategoryAsync(new HarvestCategoryQuery("cold", 2000, 4000, true, 10, new HarvestEntryPosition(2000, "Subscriber", Imsi)), Ct);
        Assert.Equal(["2000/440100000000002"], asc.Select(static e => $"{e.Time}/{e.ResourceId}"));
        Assert.Empty(await _store.QueryCategoryAsync(new HarvestCategoryQuery("warm", null, null, false, 10, null), Ct));

        // The category comes back with the entry; one without stays without.
        Assert.Equal("hot", (await _store.GetAsync("Subscriber", Imsi, 3000, Ct))!.Category);
        Assert.Null((await _store.GetAsync("Subscriber", Imsi, 4000, Ct))!.Category);
        var page = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, 3000, 4000, true, 10, null), Ct);
        Assert.Equal(["hot", null], page.Select(static e => e.Category));
    }

    [Fact]
    public async Task A_database_from_before_categories_gets_the_column_and_keeps_its_entries()
    {
        await _store.DisposeAsync();
        await ExecuteAsync("""
            DROP TABLE harvest_entries;
            CREATE TABLE harvest_entries (resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, time BIGINT NOT NULL, content_type TEXT NOT NULL,
              content TEXT NOT NULL, PRIMARY KEY (resource_type, resource_id, time));
            INSERT INTO harvest_entries VALUES ('Subscriber', '440100000000001', 1000, 'application/json', '{"old":1}');
            """);
        _store = await ReopenStoreAsync();
        await _store.InitializeAsync(Ct);

        var old = await _store.GetAsync("Subscriber", Imsi, 1000, Ct);
        Assert.Equal("{\"old\":1}", old!.Content);
        Assert.Null(old.Category);
        await _store.WriteAsync([Json(2000) with { Category = "new" }], Ct);
        Assert.Equal([2000L], (await _store.QueryCategoryAsync(new HarvestCategoryQuery("new", null, null, false, 10, null), Ct)).Select(static e => e.Time));
    }

    [Fact]
    public async Task A_write_at_the_same_time_replaces_the_entry()
    {
        await _store.WriteAsync([Json(1000, "{\"a\":1}")], Ct);
        await _store.WriteAsync([Json(1000, "{\"b\":2}"), new HarvestEntry("Subscriber", Imsi, 2000, "application/octet-stream", "AAEC")], Ct);

        var all = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, null, null, true, 10, null), Ct);
        Assert.Equal(2, all.Count);
        Assert.Equal("{\"b\":2}", all[0].Content);
        Assert.Equal(("application/octet-stream", "AAEC"), (all[1].ContentType, all[1].Content));
    }

    [Fact]
    public async Task Gets_and_deletes_one_entry_and_a_resource_left_empty()
    {
        await _store.WriteAsync([Json(1000)], Ct);
        Assert.Equal("{\"temp\":21.5}", (await _store.GetAsync("Subscriber", Imsi, 1000, Ct))!.Content);
        Assert.Null(await _store.GetAsync("Subscriber", Imsi, 1001, Ct));
        Assert.True(await _store.DeleteAsync("Subscriber", Imsi, 1000, Ct));
        Assert.False(await _store.DeleteAsync("Subscriber", Imsi, 1000, Ct));
        Assert.Null(await _store.GetAsync("Subscriber", Imsi, 1000, Ct));
        Assert.Null(await _store.GetResourceAsync("Subscriber", Imsi, Ct));
    }

    [Fact]
    public async Task Lists_resources_with_their_last_write_and_attribute_names_in_pages()
    {
        await _store.WriteAsync([Json(1000, "{\"temp\":1}"), Json(3000, "{\"humidity\":2}"), Json(2000, "{\"bat\":3}")], Ct);
        await _store.WriteAsync([Json(500, "{\"rs\":0}"), new HarvestEntry("LoraDevice", "0000000000000001", 10, "application/json", "{\"x\":1}")], Ct);
        await _store.WriteAsync([Json(1, id: "440100000000002")], Ct);

        var me = await _store.GetResourceAsync("Subscriber", Imsi, Ct);
        Assert.Equal(3000, me!.LastModifiedTime);
        Assert.Equal(["bat", "humidity", "rs", "temp"], me.AttributeNames);

        var first = await _store.ListResourcesAsync(null, 2, null, Ct);
        Assert.Equal(["LoraDevice/0000000000000001", $"Subscriber/{Imsi}"], first.Select(static r => $"{r.ResourceType}/{r.ResourceId}"));
        var rest = await _store.ListResourcesAsync(null, 2, (first[^1].ResourceType, first[^1].ResourceId), Ct);
        Assert.Equal(["Subscriber/440100000000002"], rest.Select(static r => $"{r.ResourceType}/{r.ResourceId}"));
        Assert.Single(await _store.ListResourcesAsync("LoraDevice", 10, null, Ct));
    }

    [Fact]
    public async Task Retention_deletes_what_is_older_than_the_days_kept_and_the_resources_left_empty()
    {
        var clock = new ManualClock();
        var now = clock.Now.ToUnixTimeMilliseconds();
        var day = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        await _store.WriteAsync([Json(now - (41 * day)), Json(now - (39 * day)), Json(now - (50 * day), id: "440100000000002")], Ct);
        var retention = new HarvestRetention(_store, Options.Create(new HarvestOptions()), clock, NullLogger<HarvestRetention>.Instance);

        Assert.Equal(2, await retention.RunOnceAsync(Ct));
        var left = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, null, null, false, 10, null), Ct);
        Assert.Equal([now - (39 * day)], left.Select(static e => e.Time));
        Assert.Null(await _store.GetResourceAsync("Subscriber", "440100000000002", Ct));
        Assert.NotNull(await _store.GetResourceAsync("Subscriber", Imsi, Ct));
    }

    [Fact]
    public async Task The_writer_commits_concurrent_messages_in_batches_before_answering()
    {
        var writer = new HarvestWriter(_store, Options.Create(new HarvestOptions { MaxBatchSize = 50 }), NullLogger<HarvestWriter>.Instance);
        await writer.StartAsync(Ct);
        var done = Enumerable.Range(0, 500).Select(i => writer.TryEnqueue([Json(10_000 + i)])!).ToArray();
        await Task.WhenAll(done);

        // Every acknowledged message is there once its task completed.
        var all = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, null, null, true, 1000, null), Ct);
        Assert.Equal(500, all.Count);
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task A_batch_message_is_stored_whole_or_not_at_all()
    {
        await ExecuteAsync(PoisonTrigger);
        var writer = new HarvestWriter(_store, Options.Create(new HarvestOptions { MaxBatchSize = 2 }), NullLogger<HarvestWriter>.Instance);

        // Four entries of one message, more than MaxBatchSize: still one transaction, so the store's refusal of the
        // last one leaves none of the first three behind; the next message is stored.
        await writer.StartAsync(Ct);
        var poisoned = writer.TryEnqueue([Json(1), Json(2), Json(3), Json(4, "poison")])!;
        await Assert.ThrowsAnyAsync<Exception>(() => poisoned);
        await writer.TryEnqueue([Json(5), Json(6)])!;

        var all = await _store.QueryAsync(new HarvestQuery("Subscriber", Imsi, null, null, true, 10, null), Ct);
        Assert.Equal([5L, 6], all.Select(static e => e.Time));
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task A_full_queue_refuses_instead_of_growing()
    {
        var writer = new HarvestWriter(_store, Options.Create(new HarvestOptions { QueueCapacity = 2 }), NullLogger<HarvestWriter>.Instance);

        // Not started: nothing drains the queue.
        Assert.NotNull(writer.TryEnqueue([Json(1)]));
        Assert.NotNull(writer.TryEnqueue([Json(2)]));
        Assert.Null(writer.TryEnqueue([Json(3)]));
        writer.Dispose();
    }
}
