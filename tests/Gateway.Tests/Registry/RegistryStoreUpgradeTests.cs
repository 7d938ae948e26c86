using System.Net;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Registry;

/// <summary>A registry.db written before the change log existed opens, loads, and then propagates changes.</summary>
public sealed class RegistryStoreUpgradeTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-upgrade-").FullName;
    private readonly List<RegistryService> _services = [];
    private readonly List<SqliteRegistryStore> _stores = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _services)
        {
            await s.StopAsync(CancellationToken.None);
            s.Dispose();
        }

        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task An_old_database_loads_and_changes_then_reach_the_other_instance()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            // The schema as the previous release created it: no change log, one version counter.
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE registry_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE registry_subscribers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE registry_credentials (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO registry_version (id, version) VALUES (1, 7);
                INSERT INTO registry_groups (id, doc) VALUES ('g', '{"groupId":"g"}');
                INSERT INTO registry_subscribers (id, doc) VALUES ('440101234567001', '{"imsi":"440101234567001","groupId":"g","ipAddress":"127.0.0.41","operatorId":"OP0012345678"}');
                """;
            await command.ExecuteNonQueryAsync(Ct);
        }

        var (a, resolverA) = await StartAsync(path);
        var (_, resolverB) = await StartAsync(path);
        Assert.Equal("440101234567001", resolverA.ResolveAddress(IPAddress.Parse("127.0.0.41")).Subscriber!.Imsi);
        Assert.Equal(7, a.Snapshot.Version);

        var change = new RegistryChange(RegistryElementKind.Subscriber, "440101234567002", new JsonObject { ["imsi"] = "440101234567002", ["groupId"] = "g", ["ipAddress"] = "127.0.0.42" });
        Assert.True((await a.ApplyAsync([change], Ct)).Succeeded);
        var started = DateTime.UtcNow;
        while (!resolverB.ResolveAddress(IPAddress.Parse("127.0.0.42")).IsKnown && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, Ct);
        }

        Assert.Equal("g", resolverB.ResolveAddress(IPAddress.Parse("127.0.0.42")).Group!.GroupId);
        Assert.True(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.41")).IsKnown);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(RegistryService Service, IdentityResolver Resolver)> StartAsync(string path)
    {
        var resolver = new IdentityResolver();
        var store = new SqliteRegistryStore(path);
        _stores.Add(store);
        var service = new RegistryService(
            store,
            resolver,
            Options.Create(new RegistryOptions { DataDirectory = _dir, Demo = false, PollInterval = TimeSpan.FromMilliseconds(50) }),
            NullLogger<RegistryService>.Instance);
        await service.StartAsync(Ct);
        _services.Add(service);
        return (service, resolver);
    }
}
