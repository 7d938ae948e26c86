namespace Gateway.Registry;

/// <summary>Where the registry is kept and how it is seeded (section <c>Gateway:Registry</c>).</summary>
internal sealed class RegistryOptions
{
    /// <summary>A seed file (JSON or YAML) whose elements are written into the store at start (<c>--registry</c>).</summary>
    public string? SeedFile { get; set; }

    /// <summary>The data directory (<c>--data-dir</c>); the SQLite store lives here. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary><c>sqlite</c> (default) or <c>postgresql</c>.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>The PostgreSQL connection string, when <see cref="Store"/> is <c>postgresql</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A file holding the key (32 bytes, base64) that encrypts credential sets at rest; or the environment variable
    /// <c>GATEWAY_SECRETS_KEY</c>. Neither: stored in plain text, protected by file modes only (docs/security.md).
    /// </summary>
    public string? SecretsKeyFile { get; set; }

    /// <summary>The key read from <see cref="SecretsKeyFile"/> or the environment by <see cref="Validate"/>; null for none.</summary>
    internal byte[]? SecretsKeyBytes { get; private set; }

    /// <summary>
    /// Whether a first start with an empty registry and no seed file creates the demo group and subscriber
    /// (<see cref="DemoRegistry"/>). Default on; <c>--no-demo</c> turns it off.
    /// </summary>
    public bool Demo { get; set; } = true;

    /// <summary>How often the store's version is checked for changes made by other instances. Default 250 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Store is not ("sqlite" or "postgresql"))
        {
            errors.Add($"Gateway:Registry:Store must be sqlite or postgresql (was '{Store}').");
        }

        if (Store == "postgresql" && string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add("Gateway:Registry:ConnectionString is required when Gateway:Registry:Store is postgresql.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("Gateway:Registry:DataDirectory (--data-dir) may not be empty.");
        }

        // Read here so that a missing, malformed or exposed key is a configuration error listed with the others.
        SecretsKeyBytes = Registry.SecretsKey.Load(SecretsKeyFile, Environment.GetEnvironmentVariable(Registry.SecretsKey.EnvironmentVariable), errors);

        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromSeconds(1))
        {
            errors.Add($"Gateway:Registry:PollInterval must be between 00:00:00.010 and 00:00:01 so changes apply within a second (was {PollInterval}).");
        }

        return errors;
    }
}
