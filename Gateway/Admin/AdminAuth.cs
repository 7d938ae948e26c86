using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Admin;

/// <summary>
/// Auth keys, their permissions, and the API key + token pair SORACOM's API uses. Tokens are self-contained and
/// signed with a key derived from the root auth key, so every instance that shares the root key accepts them;
/// the permission is looked up at each request, so removing a key takes effect at once.
/// </summary>
internal sealed partial class AdminAuth
{
    public const int DefaultTokenSeconds = 86400;
    public const int MaxTokenSeconds = 172800;

    private readonly Dictionary<string, (byte[] SecretHash, SamPermission Permission)> _keys = new(StringComparer.Ordinal);
    private readonly byte[] _tokenKey;
    private readonly TimeProvider _time;

    public AdminAuth(string rootKeyId, string rootKey, IEnumerable<AuthKeyOptions> keys, TimeProvider time)
    {
        _time = time;
        _keys[rootKeyId] = (Hash(rootKey), SamPermission.AllowAll);
        foreach (var k in keys)
        {
            var errors = new List<string>();
            _keys[k.AuthKeyId] = (Hash(k.AuthKey!), SamPermission.Parse(JsonValue.Create(k.Permission), "Permission", errors)!);
        }

        _tokenKey = SHA256.HashData(Encoding.UTF8.GetBytes("gateway admin tokens\0" + rootKey));
    }

    /// <summary>
    /// The root key from settings, else from <c>root-auth-key.json</c> in the data directory, else a new one written
    /// there once (owner-readable only). The secret is never logged.
    /// </summary>
    public static (string Id, string Key, bool Generated, string File) LoadOrCreateRootKey(AdminOptions options, string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "root-auth-key.json");
        if (options.RootAuthKeyId is not null && options.RootAuthKey is not null)
        {
            return (options.RootAuthKeyId, options.RootAuthKey, false, file);
        }

        if (File.Exists(file))
        {
            var stored = JsonNode.Parse(File.ReadAllText(file))!;
            return ((string)stored["authKeyId"]!, (string)stored["authKey"]!, false, file);
        }

        var id = "keyId-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var key = "secret-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var json = new JsonObject { ["authKeyId"] = id, ["authKey"] = key }.ToJsonString();
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(file, fileOptions))
        {
            stream.Write(Encoding.UTF8.GetBytes(json));
        }

        return (id, key, true, file);
    }

    /// <summary>Issues an API key and token for a valid auth key, or null.</summary>
    public (string ApiKey, string Token)? Authenticate(string? authKeyId, string? authKey, int tokenSeconds)
    {
        if (authKeyId is null || authKey is null || !_keys.TryGetValue(authKeyId, out var entry)
            || !CryptographicOperations.FixedTimeEquals(entry.SecretHash, Hash(authKey)))
        {
            return null;
        }

        var apiKey = "api-" + Guid.NewGuid().ToString("D");
        var expires = _time.GetUtcNow().ToUnixTimeSeconds() + tokenSeconds;
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new TokenPayload(authKeyId, apiKey, expires), AdminJsonContext.Default.TokenPayload));
        return (apiKey, payload + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_tokenKey, Encoding.ASCII.GetBytes(payload))));
    }

    /// <summary>
    /// The permission of an auth key presented directly (HTTP Basic on the metrics endpoint, where a scraper cannot
    /// renew a token); null when the ID is unknown or the secret wrong.
    /// </summary>
    public SamPermission? ValidateKey(string authKeyId, string authKey) =>
        _keys.TryGetValue(authKeyId, out var entry) && CryptographicOperations.FixedTimeEquals(entry.SecretHash, Hash(authKey))
            ? entry.Permission
            : null;

    /// <summary>The permission of a valid API key + token pair; null with a reason otherwise.</summary>
    public SamPermission? Validate(string? apiKey, string? token, out string reason)
    {
        if (apiKey is null || token is null)
        {
            reason = "X-Soracom-API-Key and X-Soracom-Token are required";
            return null;
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        reason = "invalid or expired token";
        if (dot <= 0)
        {
            return null;
        }

        var payload = token[..dot];
        byte[] signature;
        TokenPayload? claims;
        try
        {
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            claims = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(payload), AdminJsonContext.Default.TokenPayload);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(_tokenKey, Encoding.ASCII.GetBytes(payload)))
            || claims is null || claims.ApiKey != apiKey || claims.Expires < _time.GetUtcNow().ToUnixTimeSeconds()
            || !_keys.TryGetValue(claims.AuthKeyId, out var entry))
        {
            return null;
        }

        reason = string.Empty;
        return entry.Permission;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    internal sealed record TokenPayload(
        [property: System.Text.Json.Serialization.JsonPropertyName("k")] string AuthKeyId,
        [property: System.Text.Json.Serialization.JsonPropertyName("a")] string ApiKey,
        [property: System.Text.Json.Serialization.JsonPropertyName("e")] long Expires);
}
