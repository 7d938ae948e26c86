using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;

namespace Gateway.Tests.Admin;

/// <summary>
/// The registry database deleted while the gateway runs: SQLite would go on writing into the nameless file and every
/// acknowledged change would be gone at the next start. The store notices, writes are refused with a clear 503 and
/// health turns 503.
/// </summary>
public sealed class VanishedStoreTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private HttpClient _root = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _gateway.StartAsync();
        _root = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _root.Dispose();
        await _gateway.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Deleting_the_database_turns_writes_into_503_and_health_into_503()
    {
        var before = await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567801" }"""), Ct);
        Assert.Equal(HttpStatusCode.Created, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Client.GetAsync(_gateway.Url("/healthz"), Ct)).StatusCode);

        foreach (var file in Directory.GetFiles(_gateway.DataDir, "registry.db*"))
        {
            File.Delete(file);
        }

        var after = await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567802" }"""), Ct);
        var body = JsonNode.Parse(await after.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
        Assert.Equal("COM0005", (string?)body["code"]);
        Assert.Contains("was deleted or replaced while the gateway ran", (string?)body["message"], StringComparison.Ordinal);

        // The poll (every 250 ms) notices it too, without any write.
        HttpResponseMessage health;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            health = await _gateway.Client.GetAsync(_gateway.Url("/healthz"), Ct);
        }
        while (health.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.StartsWith("store unavailable: the registry database", await health.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Reads go on from the last snapshot: the gateway keeps serving devices.
        Assert.Equal(HttpStatusCode.OK, (await _root.GetAsync(_gateway.Url("/v1/subscribers/440101234567801"), Ct)).StatusCode);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100, Ct);
        return true;
    }
}

/// <summary>The store on its own: a vanished or replaced database file is reported, never written into.</summary>
public sealed class DatabaseFileGuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-guard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_binding_write_after_the_file_was_deleted_throws_StoreUnavailable()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using var store = new SqliteRegistryStore(path);
        await store.InitializeAsync(TestContext.Current.CancellationToken);
        var binding = new AddressBinding("440101234567803", null, null, DateTimeOffset.UnixEpoch, "nas");
        await store.WriteBindingAsync("10.0.0.1", binding, null, TestContext.Current.CancellationToken);

        File.Delete(path);

        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.WriteBindingAsync("10.0.0.2", binding, null, TestContext.Current.CancellationToken));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_replaced_by_another_under_the_same_name_is_reported()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using var store = new SqliteRegistryStore(path);
        await store.InitializeAsync(TestContext.Current.CancellationToken);

        // A restore done wrongly while running: a copy moved over the open file.
        var copy = Path.Combine(_dir, "copy.db");
        File.Copy(path, copy);
        File.Move(copy, path, overwrite: true);

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetVersionAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_file_in_place_is_written_and_read_as_before()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using var store = new SqliteRegistryStore(path);
        await store.InitializeAsync(TestContext.Current.CancellationToken);
        var binding = new AddressBinding("440101234567804", null, null, DateTimeOffset.UnixEpoch, "nas");
        var version = await store.WriteBindingAsync("10.0.0.3", binding, null, TestContext.Current.CancellationToken);
        Assert.Equal(version, await store.GetBindingsVersionAsync(TestContext.Current.CancellationToken));
    }
}
