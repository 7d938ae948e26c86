using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Registry.Stores;

/// <summary>
/// Encrypts the <c>credentials</c> of every credential set on its way into any store, and decrypts it on the way
/// out, with AES-256-GCM under the key from <see cref="SecretsKey"/>. The stored form is
/// <c>"credentials": {"$encrypted": "v1:&lt;base64 of nonce, ciphertext and tag&gt;"}</c>; the credential set's ID is
/// authenticated with it, so a row copied under another ID does not decrypt. Without a key it passes everything
/// through, but refuses to load a store that holds encrypted sets, as does a wrong key: both are start errors that
/// say what to do. With a key, sets stored in plain text by an earlier start are encrypted at start.
/// </summary>
internal sealed class CredentialEncryptingStore(IRegistryStore inner, byte[]? key) : IRegistryStore
{
    private const string Marker = "$encrypted";
    private const string Version = "v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public string Name => inner.Name;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await inner.InitializeAsync(cancellationToken);
        if (key is null)
        {
            return;
        }

        var plain = new List<RegistryChange>();
        await inner.ReadAsync(-1, RegistryElementKind.Credential, (_, id, text) =>
        {
            if (text is not null && JsonNode.Parse(text) is JsonObject c && !IsEncrypted(c))
            {
                plain.Add(new RegistryChange(RegistryElementKind.Credential, (string?)c["credentialsId"] ?? id, Encrypt(c)));
            }
        }, cancellationToken);
        if (plain.Count > 0)
        {
            await inner.WriteAsync(plain, cancellationToken);
        }
    }

    public Task<long> ReadAsync(long sinceVersion, RegistryElementKind? only, Action<RegistryElementKind, string, string?> visit, CancellationToken cancellationToken) =>
        inner.ReadAsync(sinceVersion, only, (kind, id, text) => visit(kind, id, kind == RegistryElementKind.Credential && text is not null ? Decrypted(text) : text), cancellationToken);

    public Task<long> ReadAllAsync(Action<RegistryElementKind, string, string?> small, Action<int> subscriberCount, Utf8RowVisitor subscriber, CancellationToken cancellationToken) =>
        inner.ReadAllAsync((kind, id, text) => small(kind, id, kind == RegistryElementKind.Credential && text is not null ? Decrypted(text) : text), subscriberCount, subscriber, cancellationToken);

    private string Decrypted(string text) => JsonNode.Parse(text) is JsonObject c && IsEncrypted(c) ? Decrypt(c).ToJsonString() : text;

    public Task<long> WriteAsync(IEnumerable<RegistryChange> changes, CancellationToken cancellationToken) =>
        inner.WriteAsync(Encrypted(changes), cancellationToken);

    public Task<(long Version, long BindingsVersion)> WriteAsync(IEnumerable<RegistryChange> changes, IReadOnlyList<BindingChange> bindings, CancellationToken cancellationToken) =>
        inner.WriteAsync(Encrypted(changes), bindings, cancellationToken);

    private IEnumerable<RegistryChange> Encrypted(IEnumerable<RegistryChange> changes) =>
        key is null ? changes : changes.Select(c => c is { Kind: RegistryElementKind.Credential, Document: { } d } ? c with { Document = Encrypt(d) } : c);

    public Task<long> GetVersionAsync(CancellationToken cancellationToken) => inner.GetVersionAsync(cancellationToken);

    public Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) => inner.WaitForChangeAsync(timeout, cancellationToken);

    public Task<long> WriteBindingsAsync(IReadOnlyList<BindingChange> changes, CancellationToken cancellationToken) =>
        inner.WriteBindingsAsync(changes, cancellationToken);

    public Task<long> DeleteBindingsOfNasAsync(string nas, CancellationToken cancellationToken) => inner.DeleteBindingsOfNasAsync(nas, cancellationToken);

    public Task<long> ReadBindingsAsync(long sinceVersion, Action<string, AddressBinding?> visit, CancellationToken cancellationToken) =>
        inner.ReadBindingsAsync(sinceVersion, visit, cancellationToken);

    public Task<long> GetBindingsVersionAsync(CancellationToken cancellationToken) => inner.GetBindingsVersionAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private static bool IsEncrypted(JsonObject credentialSet) => credentialSet["credentials"] is JsonObject c && c.ContainsKey(Marker);

    private static byte[] AssociatedData(string credentialsId) => Encoding.UTF8.GetBytes("gateway credential set\0" + credentialsId);

    private JsonObject Encrypt(JsonObject credentialSet)
    {
        var copy = (JsonObject)credentialSet.DeepClone();
        if (IsEncrypted(copy))
        {
            return copy;
        }

        var plaintext = Encoding.UTF8.GetBytes(copy["credentials"]?.ToJsonString() ?? "{}");
        var sealedBox = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBox.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key!, TagSize))
        {
            aes.Encrypt(nonce, plaintext, sealedBox.AsSpan(NonceSize, plaintext.Length), sealedBox.AsSpan(NonceSize + plaintext.Length), AssociatedData((string?)copy["credentialsId"] ?? string.Empty));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        copy["credentials"] = new JsonObject { [Marker] = Version + Convert.ToBase64String(sealedBox) };
        return copy;
    }

    private JsonObject Decrypt(JsonObject credentialSet)
    {
        var id = (string?)credentialSet["credentialsId"] ?? string.Empty;
        if (key is null)
        {
            throw new RegistryLoadException(
                $"credential set '{id}' is encrypted at rest and no secrets key is configured; start with the key it was written with ({SecretsKey.EnvironmentVariable} or {SecretsKey.FileSetting}).");
        }

        try
        {
            var text = (string?)credentialSet["credentials"]![Marker] ?? string.Empty;
            if (!text.StartsWith(Version, StringComparison.Ordinal))
            {
                throw new FormatException("unknown format");
            }

            var sealedBox = Convert.FromBase64String(text[Version.Length..]);
            var length = sealedBox.Length - NonceSize - TagSize;
            var plaintext = new byte[Math.Max(length, 0)];
            using (var aes = new AesGcm(key, TagSize))
            {
                aes.Decrypt(sealedBox.AsSpan(0, NonceSize), sealedBox.AsSpan(NonceSize, length), sealedBox.AsSpan(NonceSize + length), plaintext, AssociatedData(id));
            }

            var copy = (JsonObject)credentialSet.DeepClone();
            copy["credentials"] = JsonNode.Parse(plaintext);
            return copy;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or InvalidCastException or System.Text.Json.JsonException)
        {
            throw new RegistryLoadException(
                $"credential set '{id}' cannot be decrypted with the configured secrets key ({SecretsKey.EnvironmentVariable} or {SecretsKey.FileSetting}): not the key it was written with, or the stored value is damaged.", e);
        }
    }
}
