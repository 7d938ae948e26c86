using Gateway.Registry;

namespace Gateway.Tests.Registry;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretsKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-key-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KeyFile(string content, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, "secrets.key");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void No_key_configured_is_no_encryption()
    {
        var errors = new List<string>();
        Assert.Null(SecretsKey.Load(null, null, errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void A_key_from_the_environment_or_an_owner_only_file_loads()
    {
        var text = SecretsKey.Generate();
        var errors = new List<string>();
        Assert.Equal(Convert.FromBase64String(text), SecretsKey.Load(null, text, errors));
        Assert.Equal(Convert.FromBase64String(text), SecretsKey.Load(KeyFile(text + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite), null, errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Unusable_keys_are_start_errors_that_name_the_setting_and_never_the_key()
    {
        var errors = new List<string>();
        Assert.Null(SecretsKey.Load(null, "c2hvcnQ=", errors));
        var file = KeyFile(SecretsKey.Generate(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Null(SecretsKey.Load(file, null, errors));
        Assert.Null(SecretsKey.Load(Path.Combine(_dir, "missing.key"), null, errors));
        Assert.Null(SecretsKey.Load(file, SecretsKey.Generate(), errors));

        Assert.Equal(
            [
                "GATEWAY_SECRETS_KEY: must be 32 random bytes in base64 (e.g. the output of: openssl rand -base64 32).",
                $"Gateway:Registry:SecretsKeyFile '{file}': must be readable by its owner only (chmod 600), as it holds the key to every stored secret.",
                $"Gateway:Registry:SecretsKeyFile '{Path.Combine(_dir, "missing.key")}': cannot be read: Could not find file '{Path.Combine(_dir, "missing.key")}'.",
                "GATEWAY_SECRETS_KEY and Gateway:Registry:SecretsKeyFile are both set; give the secrets key one way only.",
            ],
            errors);
    }
}
