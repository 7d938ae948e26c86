using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Npgsql;

namespace Gateway.Tests.Registry;

/// <summary>
/// A start's whole read tells how many subscribers to expect before the first one, so that the index is sized once:
/// SQLite counts, PostgreSQL takes the planner's estimate (or counts a table never analyzed).
/// </summary>
public sealed class SubscriberCountHintTests(Infrastructure.PostgresServer postgres) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _dir = Directory.CreateTempSubdirectory("gw-hint-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Postgres_counts_a_table_never_analyzed_and_takes_the_estimate_once_analyzed()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var store = new PostgresRegistryStore(connectionString);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Group("g"), .. Subscribers(0, 7)], Ct);

        // Never analyzed: counted, exactly.
        Assert.Equal((7, 7), await HintAndRowsAsync(store));

        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        await using (var analyze = dataSource.CreateCommand("ANALYZE registry_subscribers"))
        {
            await analyze.ExecuteNonQueryAsync(Ct);
        }

        // Analyzed, then three more rows (too few for autovacuum to analyze again): the estimate, not a count, and
        // every row still loaded.
        await store.WriteAsync(Subscribers(7, 3), Ct);
        Assert.Equal((7, 10), await HintAndRowsAsync(store));
    }

    [Fact]
    public async Task Postgres_with_no_subscribers_expects_none()
    {
        await using var store = new PostgresRegistryStore(await postgres.CreateDatabaseAsync());
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Group("g")], Ct);

        Assert.Equal((0, 0), await HintAndRowsAsync(store));
    }

    [Fact]
    public async Task Sqlite_counts()
    {
        await using var store = new SqliteRegistryStore(Path.Combine(_dir, "registry.db"));
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Group("g"), .. Subscribers(0, 5)], Ct);

        Assert.Equal((5, 5), await HintAndRowsAsync(store));
    }

    /// <summary>The hint (which must come once, before the first subscriber) and the subscriber rows read.</summary>
    private static async Task<(int Hint, int Rows)> HintAndRowsAsync(IRegistryStore store)
    {
        int? hint = null;
        var rows = 0;
        var small = 0;
        await store.ReadAllAsync(
            (_, _, _) => small++,
            count =>
            {
                Assert.Null(hint);
                Assert.Equal(0, rows);
                hint = count;
            },
            (_, _) => rows++,
            Ct);
        Assert.Equal(1, small);
        Assert.NotNull(hint);
        return (hint.Value, rows);
    }

    private static RegistryChange Group(string id) =>
        new(RegistryElementKind.Group, id, new JsonObject { ["groupId"] = id, ["configuration"] = new JsonObject() });

    private static List<RegistryChange> Subscribers(int first, int count) =>
        Enumerable.Range(first, count).Select(static i =>
        {
            var imsi = "44010" + i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
            return new RegistryChange(RegistryElementKind.Subscriber, imsi, new JsonObject { ["imsi"] = imsi, ["groupId"] = "g" });
        }).ToList();
}
