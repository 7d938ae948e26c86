using System.Security.Cryptography;

namespace Gateway.Registry;

/// <summary>
/// The key that encrypts credential sets at rest (<see cref="Stores.CredentialEncryptingStore"/>): 32 bytes, given in
/// base64 by the environment variable <see cref="EnvironmentVariable"/> or in a file named by
/// <c>Gateway:Registry:SecretsKeyFile</c> (readable by its owner only). Neither: no encryption.
/// </summary>
internal static class SecretsKey
{
    public const string EnvironmentVariable = "GATEWAY_SECRETS_KEY";

    public const string FileSetting = "Gateway:Registry:SecretsKeyFile";

    public const int Length = 32;

    /// <summary>The key, or null when none is configured; a configured key that cannot be used is an error (never echoed).</summary>
    public static byte[]? Load(string? file, string? environmentValue, List<string> errors)
    {
        var fromEnvironment = !string.IsNullOrWhiteSpace(environmentValue);
        var fromFile = !string.IsNullOrWhiteSpace(file);
        if (fromEnvironment && fromFile)
        {
            errors.Add($"{EnvironmentVariable} and {FileSetting} are both set; give the secrets key one way only.");
            return null;
        }

        if (fromEnvironment)
        {
            return Decode(environmentValue!, EnvironmentVariable, errors);
        }

        return fromFile ? ReadFile(file!, errors) : null;
    }

    /// <summary>A fresh key in the form <see cref="Load"/> reads (for documentation and tests).</summary>
    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(Length));

    private static byte[]? ReadFile(string file, List<string> errors)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                errors.Add($"{FileSetting} '{file}': must be readable by its owner only (chmod 600), as it holds the key to every stored secret.");
                return null;
            }

            return Decode(File.ReadAllText(file), $"{FileSetting} '{file}'", errors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{FileSetting} '{file}': cannot be read: {e.Message}");
            return null;
        }
    }

    private static byte[]? Decode(string text, string source, List<string> errors)
    {
        var key = new byte[Length];
        if (!Convert.TryFromBase64String(text.Trim(), key, out var written) || written != Length)
        {
            errors.Add($"{source}: must be {Length} random bytes in base64 (e.g. the output of: openssl rand -base64 {Length}).");
            return null;
        }

        return key;
    }
}
