using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;

namespace Gateway.Tests.Registry;

/// <summary>Credential sets encrypted at rest, over SQLite.</summary>
public sealed class SqliteSecretsAtRestTests : SecretsAtRestTests
{
    private protected override Task<IRegistryStore> CreateInnerAsync() =>
        Task.FromResult<IRegistryStore>(new SqliteRegistryStore(Path.Combine(Dir, "registry.db")));

    [Fact]
    public async Task The_database_files_hold_no_secret_in_clear()
    {
        await using var store = new CredentialEncryptingStore(await CreateInnerAsync(), Key());
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Credential("beam-psk", Secret)], Ct);

        foreach (var file in Directory.GetFiles(Dir, "registry.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Ct);
            Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(copy.ToArray()), StringComparison.Ordinal);
        }
    }
}

/// <summary>The same over a real PostgreSQL.</summary>
public sealed class PostgresSecretsAtRestTests(Infrastructure.PostgresServer postgres) : SecretsAtRestTests
{
    private string? _connectionString;

    private protected override async Task<IRegistryStore> CreateInnerAsync()
    {
        _connectionString ??= await postgres.CreateDatabaseAsync();
        return new PostgresRegistryStore(_connectionString);
    }
}

/// <summary>
/// <see cref="CredentialEncryptingStore"/> over a real store: what is stored is ciphertext, what is loaded is the
/// set as written, and a missing or wrong key is a start error that says what to do.
/// </summary>
public abstract class SecretsAtRestTests : IAsyncDisposable
{
    private protected const string Secret = "topsecret-psk-0123456789";

    private readonly byte[] _key = Convert.FromBase64String(SecretsKey.Generate());

    protected string Dir { get; } = Directory.CreateTempSubdirectory("gw-secrets-").FullName;

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected abstract Task<IRegistryStore> CreateInnerAsync();

    private protected byte[] Key() => _key;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private protected static RegistryChange Credential(string id, string key) => new(RegistryElementKind.Credential, id, new JsonObject
    {
        ["credentialsId"] = id,
        ["type"] = "psk",
        ["credentials"] = new JsonObject { ["key"] = key },
    });

    private static JsonObject Only(StoredRegistry stored) => Assert.IsType<JsonObject>(Assert.Single(stored.Document["credentials"]!.AsArray()));

    [Fact]
    public async Task Credential_sets_are_stored_encrypted_and_load_in_clear()
    {
        var inner = await CreateInnerAsync();
        await using var store = new CredentialEncryptingStore(inner, Key());
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Credential("beam-psk", Secret)], Ct);

        var raw = Only(await inner.LoadAsync(Ct));
        Assert.DoesNotContain(Secret, raw.ToJsonString(), StringComparison.Ordinal);
        Assert.StartsWith("v1:", (string?)raw["credentials"]!["$encrypted"], StringComparison.Ordinal);
        Assert.Equal("beam-psk", (string?)raw["credentialsId"]);

        Assert.Equal(Secret, (string?)Only(await store.LoadAsync(Ct))["credentials"]!["key"]);
    }

    [Fact]
    public async Task A_wrong_key_is_a_clear_error_that_never_shows_a_secret()
    {
        await using (var store = new CredentialEncryptingStore(await CreateInnerAsync(), Key()))
        {
            await store.InitializeAsync(Ct);
            await store.WriteAsync([Credential("beam-psk", Secret)], Ct);
        }

        await using var wrong = new CredentialEncryptingStore(await CreateInnerAsync(), Convert.FromBase64String(SecretsKey.Generate()));
        await wrong.InitializeAsync(Ct);
        var e = await Assert.ThrowsAsync<RegistryLoadException>(() => wrong.LoadAsync(Ct));
        Assert.StartsWith("credential set 'beam-psk' cannot be decrypted with the configured secrets key", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encrypted_sets_without_a_key_are_a_clear_error()
    {
        await using (var store = new CredentialEncryptingStore(await CreateInnerAsync(), Key()))
        {
            await store.InitializeAsync(Ct);
            await store.WriteAsync([Credential("beam-psk", Secret)], Ct);
        }

        await using var keyless = new CredentialEncryptingStore(await CreateInnerAsync(), null);
        await keyless.InitializeAsync(Ct);
        var e = await Assert.ThrowsAsync<RegistryLoadException>(() => keyless.LoadAsync(Ct));
        Assert.Equal("credential set 'beam-psk' is encrypted at rest and no secrets key is configured; start with the key it was written with (GATEWAY_SECRETS_KEY or Gateway:Registry:SecretsKeyFile).", e.Message);
    }

    [Fact]
    public async Task Sets_stored_in_clear_before_a_key_was_configured_are_encrypted_at_start()
    {
        var inner = await CreateInnerAsync();
        await inner.InitializeAsync(Ct);
        await inner.WriteAsync([Credential("beam-psk", Secret)], Ct);

        await using var store = new CredentialEncryptingStore(inner, Key());
        await store.InitializeAsync(Ct);

        Assert.DoesNotContain(Secret, Only(await inner.LoadAsync(Ct)).ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(Secret, (string?)Only(await store.LoadAsync(Ct))["credentials"]!["key"]);
    }

    [Fact]
    public async Task A_ciphertext_moved_to_another_credential_set_does_not_decrypt()
    {
        var inner = await CreateInnerAsync();
        await using var store = new CredentialEncryptingStore(inner, Key());
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Credential("a", Secret)], Ct);
        var moved = (JsonObject)Only(await inner.LoadAsync(Ct)).DeepClone();
        moved["credentialsId"] = "b";
        await inner.WriteAsync([new RegistryChange(RegistryElementKind.Credential, "a", null), new RegistryChange(RegistryElementKind.Credential, "b", moved)], Ct);

        var e = await Assert.ThrowsAsync<RegistryLoadException>(() => store.LoadAsync(Ct));
        Assert.StartsWith("credential set 'b' cannot be decrypted", e.Message, StringComparison.Ordinal);
    }
}
