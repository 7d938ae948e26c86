using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>Service-account key files made at test time (nothing secret is committed), and a JWT check independent of Google.Apis.Auth.</summary>
internal static class ServiceAccounts
{
    public const string Email = "funnel@funnel-test.iam.gserviceaccount.com";

    public static RSA NewKey() => RSA.Create(2048);

    /// <summary>The key file's JSON, as Google's console downloads it.</summary>
    public static string KeyFile(RSA key, string tokenUri, string project = "funnel-test") => new JsonObject
    {
        ["type"] = "service_account",
        ["project_id"] = project,
        ["private_key_id"] = "0123456789abcdef",
        ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
        ["client_email"] = Email,
        ["client_id"] = "100000000000000000001",
        ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
        ["token_uri"] = tokenUri,
    }.ToJsonString();

    /// <summary>A <c>google-service-account-json</c> set as the registry hands it to the adapter.</summary>
    public static AdapterCredentials Credentials(RSA key, string tokenUri, string project = "funnel-test") => new()
    {
        CredentialsId = "gcp",
        Type = "google-service-account-json",
        Values = new JsonObject { ["credentials"] = KeyFile(key, tokenUri, project) },
    };

    /// <summary>The base64 body of the PEM, a stretch of which must never appear in a log or reason.</summary>
    public static string KeyMaterial(RSA key) => Convert.ToBase64String(key.ExportPkcs8PrivateKey());

    /// <summary>Checks an RS256 JWT's signature with <paramref name="key"/>'s public half and returns its claims.</summary>
    public static JsonObject VerifyAssertion(string jwt, RSA key)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(Base64Url(parts[0]))!.AsObject();
        Assert.Equal("RS256", (string?)header["alg"]);
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        Assert.True(publicKey.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "the assertion's signature does not verify with the service account's public key");
        return JsonNode.Parse(Base64Url(parts[1]))!.AsObject();
    }

    private static byte[] Base64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }

    /// <summary>A self-signed certificate for 127.0.0.1, for an HTTPS test peer.</summary>
    public static X509Certificate2 LoopbackCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Exported and loaded again so that the private key is usable by Kestrel's TLS on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An HTTP client that trusts exactly <paramref name="certificate"/>.</summary>
    public static HttpMessageInvoker Trusting(X509Certificate2 certificate) => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == certificate.GetCertHashString() },
    });

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
