using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Registry.Stores;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Registry;

/// <summary>The data directory and the registry database (with its -wal and -shm files) are for the gateway's user only.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataDirectoryModeTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _dir = Directory.CreateTempSubdirectory("gw-modes-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task WriteSomethingAsync(SqliteRegistryStore store)
    {
        await store.InitializeAsync(Ct);
        await store.WriteAsync([new RegistryChange(RegistryElementKind.Credential, "c", new JsonObject { ["credentialsId"] = "c", ["type"] = "psk", ["credentials"] = new JsonObject { ["key"] = "k" } })], Ct);
    }

    [Fact]
    public async Task The_database_and_its_journal_files_are_created_owner_only()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using (var store = new SqliteRegistryStore(path))
        {
            await WriteSomethingAsync(store);
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                Assert.True(File.Exists(file), file);
                Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(file));
            }
        }
    }

    [Fact]
    public async Task A_database_made_readable_by_others_before_is_tightened_at_start()
    {
        var path = Path.Combine(_dir, "registry.db");
        await using (var first = new SqliteRegistryStore(path))
        {
            await WriteSomethingAsync(first);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.SetUnixFileMode(path, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var second = new SqliteRegistryStore(path);
        await second.InitializeAsync(Ct);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
    }

    [Fact]
    public void An_existing_data_directory_is_tightened_but_a_shared_sticky_one_is_left_alone()
    {
        var open = Directory.CreateDirectory(Path.Combine(_dir, "open")).FullName;
        File.SetUnixFileMode(open, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var shared = Directory.CreateDirectory(Path.Combine(_dir, "shared")).FullName;
        const UnixFileMode sharedMode = (UnixFileMode)0b1_111_111_111;
        File.SetUnixFileMode(shared, sharedMode);

        OwnerOnlyFiles.EnsureDirectory(open);
        OwnerOnlyFiles.EnsureDirectory(shared);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(open));
        Assert.Equal(sharedMode, File.GetUnixFileMode(shared));
    }

    [Fact]
    public async Task The_gateway_makes_its_data_directory_owner_only()
    {
        await using var gateway = new GatewayProcess();
        var dataDir = Path.Combine(gateway.DataDir, "fresh", "data");
        await gateway.StartAsync("--data-dir", dataDir);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(dataDir));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(dataDir, "registry.db")));
    }

    [Fact]
    public async Task With_a_secrets_key_file_credential_sets_are_encrypted_and_a_wrong_key_stops_the_start()
    {
        var keyFile = Path.Combine(_dir, "secrets.key");
        await File.WriteAllTextAsync(keyFile, SecretsKey.Generate(), Ct);
        File.SetUnixFileMode(keyFile, OwnerOnlyFile);
        var dataDir = Path.Combine(_dir, "data");
        var seed = Path.Combine(_dir, "seed.json");
        await File.WriteAllTextAsync(seed, RegistryParserTests.Seed(), Ct);

        await using (var gateway = new GatewayProcess())
        {
            await gateway.StartAsync("--data-dir", dataDir, "--registry", seed, "--Gateway:Registry:SecretsKeyFile", keyFile);
            using var client = await gateway.LoginAsync();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(gateway.Url("/v1/credentials"), Ct)).StatusCode);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(dataDir, "registry.db*"))
        {
            Assert.DoesNotContain("s3cr3t", System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file, Ct)), StringComparison.Ordinal);
        }

        var wrongKey = Path.Combine(_dir, "wrong.key");
        await File.WriteAllTextAsync(wrongKey, SecretsKey.Generate(), Ct);
        File.SetUnixFileMode(wrongKey, OwnerOnlyFile);
        var (exit, _, error) = await CliRunner.RunProcessAsync(
            "", "--data-dir", dataDir, "--Gateway:Registry:SecretsKeyFile", wrongKey, "--admin-port", GatewayProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--listen-address", "127.0.0.1", "--http-port", "0", "--website-port", "0", "--unified-port", "0", "--tcp-port", "0", "--mqtt-port", "0");

        Assert.Equal(2, exit);
        Assert.Contains("gateway: cannot start: credential set 'beam-psk' cannot be decrypted with the configured secrets key", error, StringComparison.Ordinal);
    }
}
