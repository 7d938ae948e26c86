using System.Net;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Registry;

/// <summary>The registry service over SQLite.</summary>
public sealed class SqliteRegistryServiceTests : RegistryServiceTests
{
    private protected override Task<IRegistryStore> CreateStoreAsync() =>
        Task.FromResult<IRegistryStore>(new SqliteRegistryStore(Path.Combine(Dir, "registry.db")));

    private protected override async Task RefuseBindingOfAsync(string address)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Dir, "registry.db")}");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TRIGGER refuse BEFORE INSERT ON registry_bindings WHEN NEW.address = '{address}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}

/// <summary>The same suite over a real PostgreSQL.</summary>
public sealed class PostgresRegistryServiceTests(Infrastructure.PostgresServer postgres) : RegistryServiceTests
{
    private string? _connectionString;

    private protected override async Task<IRegistryStore> CreateStoreAsync()
    {
        _connectionString ??= await postgres.CreateDatabaseAsync();
        return new PostgresRegistryStore(_connectionString);
    }

    private protected override async Task RefuseBindingOfAsync(string address)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand($"""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON registry_bindings FOR EACH ROW WHEN (NEW.address = '{address}') EXECUTE FUNCTION refuse();
            """, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}

/// <summary>The registry service over a real store, with two instances sharing it as two gateways would.</summary>
public abstract class RegistryServiceTests : IAsyncDisposable
{
    private readonly List<RegistryService> _services = [];
    private readonly List<IRegistryStore> _stores = [];

    protected string Dir { get; } = Directory.CreateTempSubdirectory("gw-reg-").FullName;

    private protected abstract Task<IRegistryStore> CreateStoreAsync();

    /// <summary>Makes the store refuse (abort the transaction of) any write binding <paramref name="address"/>.</summary>
    private protected abstract Task RefuseBindingOfAsync(string address);

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

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private async Task<(RegistryService Service, IdentityResolver Resolver)> StartAsync(RegistryDocument? seed = null)
    {
        var resolver = new IdentityResolver();
        var store = await CreateStoreAsync();
        _stores.Add(store);
        var service = new RegistryService(
            store,
            resolver,
            Options.Create(new RegistryOptions { PollInterval = TimeSpan.FromMilliseconds(50) }),
            NullLogger<RegistryService>.Instance,
            seed);
        await service.StartAsync(TestContext.Current.CancellationToken);
        _services.Add(service);
        return (service, resolver);
    }

    private static RegistryDocument SeedDocument(string subscribers = "")
    {
        var errors = new List<string>();
        var doc = RegistryParser.Parse(JsonNode.Parse(RegistryParserTests.Seed(subscribers: subscribers)), errors);
        Assert.Empty(errors);
        return doc!;
    }

    private static RegistryChange Subscriber(string imsi, string ip) =>
        new(RegistryElementKind.Subscriber, imsi, new JsonObject { ["imsi"] = imsi, ["ipAddress"] = ip });

    [Fact]
    public async Task Seed_is_written_to_the_store_and_survives_a_restart_without_it()
    {
        var (first, _) = await StartAsync(SeedDocument());
        await first.StopAsync(TestContext.Current.CancellationToken);

        var (_, resolver) = await StartAsync();
        Assert.Equal("440101234567890", resolver.ResolveAddress(IPAddress.Parse("127.0.0.11")).Subscriber!.Imsi);
    }

    [Fact]
    public async Task Valid_change_applies_at_once_on_this_instance()
    {
        var (service, resolver) = await StartAsync(SeedDocument());
        var result = await service.ApplyAsync([Subscriber("440101234567891", "127.0.0.12")], TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.True(resolver.ResolveAddress(IPAddress.Parse("127.0.0.12")).IsKnown);
    }

    [Fact]
    public async Task Invalid_change_is_refused_whole_with_its_errors_and_nothing_is_written()
    {
        var (service, resolver) = await StartAsync(SeedDocument());
        var before = service.Snapshot.Version;
        var result = await service.ApplyAsync(
            [Subscriber("440101234567891", "127.0.0.13"), Subscriber("440101234567892", "127.0.0.11")],
            TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("subscribers[440101234567892].ipAddress: '127.0.0.11' already identifies subscriber 440101234567890", result.Errors);
        Assert.Equal(before, service.Snapshot.Version);
        Assert.False(resolver.ResolveAddress(IPAddress.Parse("127.0.0.13")).IsKnown);
    }

    [Fact]
    public async Task Deleting_a_group_still_in_use_is_refused()
    {
        var (service, _) = await StartAsync(SeedDocument());
        var result = await service.ApplyAsync(
            [new RegistryChange(RegistryElementKind.Group, "12345678-abcd-9012-efab-345678901234", null)],
            TestContext.Current.CancellationToken);
        Assert.False(result.Succeeded);
        Assert.Contains("subscribers[440101234567890].groupId: no group '12345678-abcd-9012-efab-345678901234'", result.Errors);
    }

    [Fact]
    public async Task Change_made_on_one_instance_applies_on_another_within_a_second()
    {
        var (a, _) = await StartAsync(SeedDocument());
        var (_, resolverB) = await StartAsync();
        Assert.False(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.20")).IsKnown);

        var started = DateTime.UtcNow;
        Assert.True((await a.ApplyAsync([Subscriber("440101234567820", "127.0.0.20")], TestContext.Current.CancellationToken)).Succeeded);
        while (!resolverB.ResolveAddress(IPAddress.Parse("127.0.0.20")).IsKnown && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.20")).IsKnown);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), $"took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Deletions_and_group_changes_on_one_instance_apply_on_another()
    {
        var (a, _) = await StartAsync(SeedDocument());
        var (b, resolverB) = await StartAsync();
        Assert.True((await a.ApplyAsync([Subscriber("440101234567821", "127.0.0.21"), Subscriber("440101234567822", "127.0.0.22")], Ct)).Succeeded);
        await UntilAsync(() => resolverB.ResolveAddress(IPAddress.Parse("127.0.0.22")).IsKnown);

        // B reads only what changed: the deletion of one SIM, a new group and a SIM moved into it.
        var group = new JsonObject { ["groupId"] = "g-moved", ["configuration"] = new JsonObject() };
        var moved = new JsonObject { ["imsi"] = "440101234567821", ["ipAddress"] = "127.0.0.21", ["groupId"] = "g-moved" };
        Assert.True((await a.ApplyAsync(
            [
                new RegistryChange(RegistryElementKind.Subscriber, "440101234567822", null),
                new RegistryChange(RegistryElementKind.Group, "g-moved", group),
                new RegistryChange(RegistryElementKind.Subscriber, "440101234567821", moved),
            ],
            Ct)).Succeeded);
        await UntilAsync(() => b.Snapshot.Version == a.Snapshot.Version);

        Assert.False(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.22")).IsKnown);
        Assert.Null(b.Snapshot.FindByImsi("440101234567822"));
        Assert.Equal("g-moved", resolverB.ResolveAddress(IPAddress.Parse("127.0.0.21")).Group!.GroupId);
        Assert.Equal(a.Snapshot.SubscriberCount, b.Snapshot.SubscriberCount);

        // B's view decides B's own writes: the group is in use there too.
        var refused = await b.ApplyAsync([new RegistryChange(RegistryElementKind.Group, "g-moved", null)], Ct);
        Assert.Equal(["subscribers[440101234567821].groupId: no group 'g-moved'"], refused.Errors);

        // A freed address can be taken again in one change, by whichever SIM, in either order of the changes.
        Assert.True((await b.ApplyAsync([Subscriber("440101234567823", "127.0.0.21"), Subscriber("440101234567821", "127.0.0.24")], Ct)).Succeeded);
        Assert.Equal("440101234567823", resolverB.ResolveAddress(IPAddress.Parse("127.0.0.21")).Subscriber!.Imsi);
    }

    [Fact]
    public async Task Deleting_a_sim_frees_its_address_and_the_list_stays_in_imsi_order()
    {
        var (service, resolver) = await StartAsync(SeedDocument());
        Assert.True((await service.ApplyAsync([Subscriber("440101234567899", "127.0.0.30"), Subscriber("440101234567850", "127.0.0.31")], Ct)).Succeeded);
        Assert.True((await service.ApplyAsync([new RegistryChange(RegistryElementKind.Subscriber, "440101234567899", null)], Ct)).Succeeded);

        Assert.False(resolver.ResolveAddress(IPAddress.Parse("127.0.0.30")).IsKnown);
        Assert.Equal(["440101234567850", "440101234567890"], service.Snapshot.SubscribersAfter(null).Select(static s => s.Imsi));
        Assert.Equal(["440101234567890"], service.Snapshot.SubscribersAfter("440101234567850").Select(static s => s.Imsi));
        Assert.True((await service.ApplyAsync([Subscriber("440101234567898", "127.0.0.30")], Ct)).Succeeded);
        Assert.Equal("440101234567898", resolver.ResolveAddress(IPAddress.Parse("127.0.0.30")).Subscriber!.Imsi);
    }

    [Fact]
    public async Task Registrations_made_at_once_all_apply_and_a_bad_one_is_refused_alone()
    {
        var (service, resolver) = await StartAsync(SeedDocument());
        var before = service.Snapshot.Version;
        var good = Enumerable.Range(0, 200).Select(i => service.ApplyCoalescedAsync(Subscriber($"44010777{i:0000000}", $"127.0.7.{i % 200}"), Ct)).ToList();
        var bad = service.ApplyCoalescedAsync(new RegistryChange(RegistryElementKind.Subscriber, "440107779999999", new JsonObject { ["imsi"] = "440107779999999", ["groupId"] = "nope" }), Ct);
        var results = await Task.WhenAll(good);

        Assert.All(results, static r => Assert.True(r.Succeeded, string.Join("; ", r.Errors)));
        Assert.Equal(["subscribers[440107779999999].groupId: no group 'nope'"], (await bad).Errors);
        Assert.Equal("440107770000199", resolver.ResolveAddress(IPAddress.Parse("127.0.7.199")).Subscriber!.Imsi);
        Assert.Equal(201, service.Snapshot.SubscriberCount);

        // Coalesced: fewer store versions than registrations (each batch is one transaction).
        Assert.True(service.Snapshot.Version - before < 200, $"{service.Snapshot.Version - before} versions for 200 registrations");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task UntilAsync(Func<bool> condition)
    {
        var started = DateTime.UtcNow;
        while (!condition() && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task Radius_binding_made_on_one_instance_applies_on_another_within_a_second()
    {
        var (a, resolverA) = await StartAsync(SeedDocument());
        var (b, resolverB) = await StartAsync();
        var address = IPAddress.Parse("127.0.0.90");

        var started = DateTime.UtcNow;
        await a.BindAddressAsync(address, new AddressBinding("440101234567890", "353000000000001", null, DateTimeOffset.UnixEpoch, "pgw-1"), TestContext.Current.CancellationToken);
        Assert.True(resolverA.ResolveAddress(address).IsKnown);
        while (!resolverB.ResolveAddress(address).IsKnown && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), $"took {DateTime.UtcNow - started}");

        // A Stop for another SIM's session leaves the binding; the right one removes it everywhere.
        await b.UnbindAddressAsync(address, "440101234567899", TestContext.Current.CancellationToken);
        Assert.True(resolverA.ResolveAddress(address).IsKnown);
        await b.UnbindAddressAsync(address, "440101234567890", TestContext.Current.CancellationToken);
        started = DateTime.UtcNow;
        while (resolverA.ResolveAddress(address).IsKnown && DateTime.UtcNow - started < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.False(resolverA.ResolveAddress(address).IsKnown);
    }

    [Fact]
    public async Task Bindings_survive_a_restart_and_a_nas_restart_clears_only_its_own()
    {
        var (a, _) = await StartAsync(SeedDocument(", { \"imsi\": \"440101234567891\" }"));
        await a.BindAddressAsync(IPAddress.Parse("127.0.0.91"), new AddressBinding("440101234567890", null, null, DateTimeOffset.UnixEpoch, "pgw-1"), TestContext.Current.CancellationToken);
        await a.BindAddressAsync(IPAddress.Parse("127.0.0.92"), new AddressBinding("440101234567891", null, null, DateTimeOffset.UnixEpoch, "pgw-2"), TestContext.Current.CancellationToken);

        var (b, resolverB) = await StartAsync();
        Assert.True(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.91")).IsKnown);
        await b.UnbindNasAsync("pgw-1", TestContext.Current.CancellationToken);
        Assert.False(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.91")).IsKnown);
        Assert.True(resolverB.ResolveAddress(IPAddress.Parse("127.0.0.92")).IsKnown);
    }

    [Fact]
    public async Task A_list_of_thousands_pages_in_imsi_order_after_changes_and_a_restart()
    {
        var (service, _) = await StartAsync(SeedDocument());
        var imsis = new SortedSet<string>(StringComparer.Ordinal) { "440101234567890" };
        var random = new Random(5);
        var numbers = Enumerable.Range(0, 3000).OrderBy(_ => random.Next()).ToList();

        // Batches in random order (many pieces of the list change at once), then deletions here and there.
        foreach (var batch in numbers.Chunk(700))
        {
            Assert.True((await service.ApplyAsync([.. batch.Select(static n => Subscriber($"44020{n:0000000000}", $"127.2.{n / 250}.{n % 250}"))], Ct)).Succeeded);
            imsis.UnionWith(batch.Select(static n => $"44020{n:0000000000}"));
        }

        var deleted = numbers.Take(400).Select(static n => $"44020{n:0000000000}").ToList();
        Assert.True((await service.ApplyAsync([.. deleted.Select(static imsi => new RegistryChange(RegistryElementKind.Subscriber, imsi, null))], Ct)).Succeeded);
        imsis.ExceptWith(deleted);
        Assert.True((await service.ApplyAsync([Subscriber("44020" + "0000001500", "127.3.0.1"), new RegistryChange(RegistryElementKind.Subscriber, "440200000002999", null)], Ct)).Succeeded);
        imsis.Add("440200000001500");
        imsis.Remove("440200000002999");

        var (restarted, _) = await StartAsync();
        foreach (var snapshot in new[] { service.Snapshot, restarted.Snapshot })
        {
            Assert.Equal(imsis, snapshot.SubscribersAfter(null).Select(static s => s.Imsi));
            var from = imsis.ElementAt(1234);
            Assert.Equal(imsis.Where(i => string.CompareOrdinal(i, from) > 0).Take(5), snapshot.SubscribersAfter(from).Take(5).Select(static s => s.Imsi));
            Assert.Equal(imsis.Where(static i => string.CompareOrdinal(i, "440200000000399x") > 0).Take(3), snapshot.SubscribersAfter("440200000000399x").Take(3).Select(static s => s.Imsi));
        }
    }

    /// <summary>
    /// A restart of more SIMs than one thread loads alone (see SubscriberLoadPipeline), in every shape a store holds:
    /// each comes back as it was written.
    /// </summary>
    [Fact]
    public async Task A_restart_of_thousands_in_mixed_shapes_gives_every_sim_as_written()
    {
        var (service, _) = await StartAsync(SeedDocument());
        var changes = Enumerable.Range(0, 9000).Select(static n =>
        {
            var imsi = $"44030{n:0000000000}";
            var sim = new JsonObject { ["imsi"] = imsi, ["tags"] = new JsonObject { ["name"] = $"m-{n}" } };
            switch (n % 5)
            {
                case 0: sim["ipAddress"] = $"127.4.{n / 250}.{n % 250}"; break;
                case 1: sim["ipAddress"] = $"fd00::{n:x}"; sim["status"] = "inactive"; break;
                case 2: sim["ipRanges"] = new JsonArray($"10.{n / 250}.{n % 250}.0/24"); break;
                case 3: sim["tags"] = new JsonObject { ["name"] = $"m-{n}", ["caf\u00e9"] = "\"quoted\"" }; break;
                default: sim["msisdn"] = $"+8190{n:00000000}"; sim["imeiLock"] = new JsonObject { ["imei"] = $"3530{n:00000000000}|ANONYMOUS" }; break;
            }

            return new RegistryChange(RegistryElementKind.Subscriber, imsi, sim);
        }).ToList();
        foreach (var batch in changes.Chunk(3000))
        {
            Assert.True((await service.ApplyAsync(batch, Ct)).Succeeded);
        }

        var (restarted, resolver) = await StartAsync();
        Assert.Equal(service.Snapshot.SubscribersAfter(null).Select(Describe), restarted.Snapshot.SubscribersAfter(null).Select(Describe));
        Assert.Equal(9001, restarted.Snapshot.SubscriberCount);
        Assert.Equal("440300000008995", resolver.ResolveAddress(IPAddress.Parse("127.4.35.245")).Subscriber!.Imsi);
        Assert.Equal("440300000000007", resolver.ResolveAddress(IPAddress.Parse("10.0.7.9")).Subscriber!.Imsi);

        static string Describe(Subscriber s) =>
            string.Join('|', s.Imsi, s.Msisdn, s.Status, s.ImeiLock, s.IpAddress, string.Join(',', s.IpRanges), string.Join(',', s.Tags.OrderBy(static t => t.Key, StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Bindings_made_at_once_all_apply_in_order_and_survive_a_restart()
    {
        var (a, resolverA) = await StartAsync(SeedDocument());
        var binds = Enumerable.Range(0, 300).Select(i => a.BindAddressAsync(IPAddress.Parse($"127.0.9.{i % 250}"), new AddressBinding("440101234567890", null, null, DateTimeOffset.UnixEpoch.AddSeconds(i), "pgw-1"), Ct)).ToList();
        await Task.WhenAll(binds);

        // The later binding of an address (i = 250..299) is the one that stays, here and in the store.
        var (_, resolverB) = await StartAsync();
        foreach (var resolver in new[] { resolverA, resolverB })
        {
            Assert.All(Enumerable.Range(0, 250), i => Assert.Equal(
                DateTimeOffset.UnixEpoch.AddSeconds(i < 50 ? i + 250 : i),
                resolver.FindBinding(IPAddress.Parse($"127.0.9.{i}"))!.BoundAt));
        }
    }

    private const string GroupId = "12345678-abcd-9012-efab-345678901234";

    private static AddressBinding Session(string imsi, int second = 0) => new(imsi, null, null, DateTimeOffset.UnixEpoch.AddSeconds(second), "pgw-1");

    [Fact]
    public async Task Auto_registrations_and_their_bindings_are_written_by_batch_and_survive_a_restart()
    {
        var (a, resolverA) = await StartAsync(SeedDocument());
        var store = _stores[0];
        var (versionBefore, bindingsBefore) = (await store.GetVersionAsync(Ct), await store.GetBindingsVersionAsync(Ct));
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => a.RegisterAndBindAsync(
            AutoRegistration.Change($"44010888{i:0000000}", GroupId, null, null), IPAddress.Parse($"127.0.8.{i}"), Session($"44010888{i:0000000}"), Ct)));

        // Answered only once written and in force here: every SIM resolves at its address at once.
        Assert.All(results, static r => Assert.True(r.Succeeded, string.Join("; ", r.Errors)));
        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal($"44010888{i:0000000}", resolverA.ResolveAddress(IPAddress.Parse($"127.0.8.{i}")).Subscriber?.Imsi));

        // Each batch writes both, once: as many binding versions as registry versions, fewer than the SIMs. (That they
        // are one transaction is what A_binding_the_store_refuses_leaves_its_registration_unwritten_too shows.)
        var registryWrites = await store.GetVersionAsync(Ct) - versionBefore;
        Assert.Equal(registryWrites, await store.GetBindingsVersionAsync(Ct) - bindingsBefore);
        Assert.True(registryWrites < 200, $"{registryWrites} writes for 200 registrations");

        var (_, resolverB) = await StartAsync();
        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal($"44010888{i:0000000}", resolverB.ResolveAddress(IPAddress.Parse($"127.0.8.{i}")).Subscriber?.Imsi));
    }

    [Fact]
    public async Task A_refused_auto_registration_binds_nothing_and_the_others_in_its_batch_bind()
    {
        var (a, resolver) = await StartAsync(SeedDocument());
        var good = Enumerable.Range(0, 50).Select(i => a.RegisterAndBindAsync(
            AutoRegistration.Change($"44010889{i:0000000}", GroupId, null, null), IPAddress.Parse($"127.0.10.{i}"), Session($"44010889{i:0000000}"), Ct)).ToList();
        var bad = a.RegisterAndBindAsync(AutoRegistration.Change("440108899999999", "no-such-group", null, null), IPAddress.Parse("127.0.10.99"), Session("440108899999999"), Ct);

        Assert.All(await Task.WhenAll(good), static r => Assert.True(r.Succeeded, string.Join("; ", r.Errors)));
        Assert.False((await bad).Succeeded);
        Assert.Null(resolver.FindBinding(IPAddress.Parse("127.0.10.99")));
        Assert.Equal("440108890000049", resolver.ResolveAddress(IPAddress.Parse("127.0.10.49")).Subscriber?.Imsi);
    }

    [Fact]
    public async Task A_binding_the_store_refuses_leaves_its_registration_unwritten_too()
    {
        var (a, _) = await StartAsync(SeedDocument());
        await RefuseBindingOfAsync("127.0.11.1");

        await Assert.ThrowsAnyAsync<Exception>(() => a.RegisterAndBindAsync(
            AutoRegistration.Change("440108870000001", GroupId, null, null), IPAddress.Parse("127.0.11.1"), Session("440108870000001"), Ct));

        // Kept together or not at all: neither here nor in the store (so the NAS's retry starts afresh).
        Assert.Null(a.Snapshot.FindByImsi("440108870000001"));
        var (_, resolverB) = await StartAsync();
        Assert.Null(resolverB.Snapshot.FindByImsi("440108870000001"));
        Assert.Null(resolverB.FindBinding(IPAddress.Parse("127.0.11.1")));
    }

    [Fact]
    public async Task The_store_hands_over_only_the_bindings_changed_since_a_version()
    {
        var store = await CreateStoreAsync();
        _stores.Add(store);
        await store.InitializeAsync(Ct);
        var v1 = await store.WriteBindingsAsync([new("127.0.12.1", Session("440101234567801"), null), new("127.0.12.2", Session("440101234567802"), null), new("127.0.12.3", Session("440101234567803"), null)], Ct);
        var v2 = await store.WriteBindingsAsync([new("127.0.12.2", Session("440101234567899", 5), null), new("127.0.12.3", null, "440101234567803")], Ct);

        var changed = new Dictionary<string, AddressBinding?>();
        Assert.Equal(v2, await store.ReadBindingsAsync(v1, (address, binding) => changed.Add(address, binding), Ct));
        Assert.Equal(["127.0.12.2", "127.0.12.3"], changed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("440101234567899", changed["127.0.12.2"]!.Imsi);
        Assert.Null(changed["127.0.12.3"]);

        var all = new List<string>();
        Assert.Equal(v2, await store.ReadBindingsAsync(-1, (address, binding) => all.Add($"{address}={binding!.Imsi}"), Ct));
        Assert.Equal(["127.0.12.1=440101234567801", "127.0.12.2=440101234567899"], all.Order(StringComparer.Ordinal));

        var none = 0;
        Assert.Equal(v2, await store.ReadBindingsAsync(v2, (_, _) => none++, Ct));
        Assert.Equal(0, none);
    }

    [Fact]
    public async Task A_nas_restart_on_one_instance_ends_its_sessions_on_another_and_leaves_the_rest()
    {
        var (a, _) = await StartAsync(SeedDocument(", { \"imsi\": \"440101234567891\" }"));
        var (_, resolverB) = await StartAsync();
        await a.BindAddressAsync(IPAddress.Parse("127.0.13.1"), new AddressBinding("440101234567890", null, null, DateTimeOffset.UnixEpoch, "pgw-1"), Ct);
        await a.BindAddressAsync(IPAddress.Parse("127.0.13.2"), new AddressBinding("440101234567891", null, null, DateTimeOffset.UnixEpoch, "pgw-2"), Ct);
        await UntilAsync(() => resolverB.ResolveAddress(IPAddress.Parse("127.0.13.1")).IsKnown && resolverB.ResolveAddress(IPAddress.Parse("127.0.13.2")).IsKnown);

        await a.UnbindNasAsync("pgw-1", Ct);
        await UntilAsync(() => !resolverB.ResolveAddress(IPAddress.Parse("127.0.13.1")).IsKnown);
        Assert.Equal("440101234567891", resolverB.ResolveAddress(IPAddress.Parse("127.0.13.2")).Subscriber?.Imsi);
    }
}
