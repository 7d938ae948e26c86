using System.Text.Json;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// The <c>google-service-account-json</c> credential type: <c>{"credentials": "&lt;the key file's JSON as a string&gt;"}</c>,
/// as SORACOM stores it. The registry checks a set with <see cref="Problem"/> when it loads; the Pub/Sub adapter reads
/// it when it is made. Messages name the missing or malformed field, never a value.
/// </summary>
public static class GoogleServiceAccountJson
{
    /// <summary>The credential type's name.</summary>
    public const string CredentialType = "google-service-account-json";

    /// <summary>
    /// Why <paramref name="json"/> (the <c>credentials</c> field) is not a usable service-account key, or null when
    /// it is: a JSON object with <c>type</c> <c>service_account</c>, <c>client_email</c> and a PEM <c>private_key</c>;
    /// <c>token_uri</c>, when given, an absolute http(s) URL.
    /// </summary>
    public static string? Problem(string? json) => Read(json, out _);

    /// <summary>Parses the key, or returns why it cannot be used (null key).</summary>
    internal static string? Read(string? json, out ServiceAccountKey? key)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(json))
            return "must be the service account key file's JSON, as a string";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            // The parser's message can quote the text around the fault: part of the key. Not passed on.
            return "is not valid JSON (expected the service account key file's contents)";
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return "must be a JSON object (the service account key file's contents)";
            var type = Text(root, "type");
            if (type is not null && type != "service_account")
                return $"holds a key of type '{Clip(type)}'; only service_account keys are supported";
            var email = Text(root, "client_email");
            if (string.IsNullOrEmpty(email))
                return "has no client_email";
            var privateKey = Text(root, "private_key");
            if (string.IsNullOrEmpty(privateKey))
                return "has no private_key";
            // Google's key files hold PKCS#8 PEM, the only form Google.Apis.Auth reads.
            if (!privateKey.Contains("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
                return "has a private_key that is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)";
            var tokenUri = Text(root, "token_uri");
            if (tokenUri is not null && (!Uri.TryCreate(tokenUri, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                return "has a token_uri that is not an absolute http(s) URL";
            key = new ServiceAccountKey
            {
                ClientEmail = email,
                PrivateKey = privateKey,
                PrivateKeyId = Text(root, "private_key_id"),
                ProjectId = Text(root, "project_id"),
                TokenUri = tokenUri,
            };
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
