using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Endorse;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Endorse;

/// <summary>
/// Endorse in a running gateway, called by the real curl from 127.0.0.19N on Host <c>endorse.soracom.io</c>: the token
/// verified with the JWKS key and with the certificate by kid, its claims and times, the redirect allow-list, and the
/// key kept owner-only in the data directory, reused by a restart and replaced by <c>gateway endorse rotate-key</c>.
/// </summary>
public sealed class EndorseEndToEndTests : IAsyncLifetime
{
    private const string Full = "127.0.0.191";
    private const string Minimal = "127.0.0.192";
    private const string Off = "127.0.0.193";
    private const string Unknown = "127.0.0.199";
    private const string FullImsi = "440109999000191";

    private static readonly string s_seed = $$"""
        {
          "groups": [
            { "groupId": "e-full", "configuration": { "SoracomEndorse": { "enabled": true,
                "parametersToEndorse": { "imsi": true, "imei": true, "msisdn": true, "simId": true, "requestParameters": true },
                "tokenTimeoutSeconds": 180, "allowOrigin": "https://app.example.com",
                "authorizedRedirectUrls": ["https://backend.example.com/login", "http://localhost:3000"] } } },
            { "groupId": "e-min", "configuration": { "SoracomEndorse": { "enabled": true } } },
            { "groupId": "e-off", "configuration": { "SoracomEndorse": { "enabled": false } } }
          ],
          "subscribers": [
            { "imsi": "{{FullImsi}}", "imei": "353000000000191", "msisdn": "814000000191", "simId": "8981100000000000191", "groupId": "e-full", "ipAddress": "{{Full}}" },
            { "imsi": "440109999000192", "imei": "353000000000192", "groupId": "e-min", "ipAddress": "{{Minimal}}" },
            { "imsi": "440109999000193", "groupId": "e-off", "ipAddress": "{{Off}}" }
          ]
        }
        """;

    private GatewayProcess _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await StartAsync(_gateway);

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static async Task StartAsync(GatewayProcess gateway)
    {
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, s_seed, Ct);
        await gateway.StartAsync("--registry", path);
    }

    private Task<(int Status, string Body, string Headers)> CallAsync(string from, string method, string pathAndQuery, params string[] extra)
    {
        var port = _gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture);
        return Curl.RunAsync(from, ["-X", method, "--resolve", $"endorse.soracom.io:{port}:127.0.0.1", .. extra, $"http://endorse.soracom.io:{port}{pathAndQuery}"]);
    }

    private async Task<string> TokenAsync(string from, string pathAndQuery = "/", params string[] extra)
    {
        var (status, body, _) = await CallAsync(from, "GET", pathAndQuery, extra);
        Assert.Equal(200, status);
        return (string)JsonNode.Parse(body)!["token"]!;
    }

    /// <summary>Verifies the RS256 signature with the JWKS key of the token's kid, as a backend would; returns header and payload.</summary>
    private async Task<(JsonObject Header, JsonObject Payload)> VerifyAsync(string token)
    {
        var (status, jwks, _) = await CallAsync(Unknown, "GET", EndorseEndpoint.JwksPath);
        Assert.Equal(200, status);
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        Assert.Equal("RS256", (string?)header["alg"]);
        var jwk = JsonNode.Parse(jwks)!["keys"]!.AsArray().Single(k => (string?)k!["kid"] == (string?)header["kid"])!;
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64Url.DecodeFromChars((string)jwk["n"]!),
            Exponent = Base64Url.DecodeFromChars((string)jwk["e"]!),
        });
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "signature does not verify with the JWKS key");
        return (header, payload);
    }

    [Fact]
    public async Task The_token_verifies_with_the_published_key_and_carries_SORACOMs_claims()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = await TokenAsync(Full, "/?username=sora&sessionId=123");
        var (header, payload) = await VerifyAsync(token);

        var kid = (string)header["kid"]!;
        Assert.Matches("^v1-[0-9a-f]{32}-x509.pem$", kid);
        Assert.Equal("https://soracom.io", (string?)payload["iss"]);
        Assert.Equal("soracom-endorse-audience", (string?)payload["aud"]);
        Assert.Equal("soracom-endorse", (string?)payload["sub"]);
        var iat = (long)payload["iat"]!;
        Assert.InRange(iat, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(iat - 60, (long)payload["nbf"]!);
        Assert.Equal(iat + 180, (long)payload["exp"]!);
        Assert.Equal(22, ((string)payload["jti"]!).Length);
        var claim = payload["soracom-endorse-claim"]!;
        Assert.Equal(FullImsi, (string?)claim["imsi"]);
        Assert.Equal("353000000000191", (string?)claim["imei"]);
        Assert.Equal("814000000191", (string?)claim["msisdn"]);
        Assert.Equal("8981100000000000191", (string?)claim["simId"]);
        Assert.Equal("sora", (string?)claim["requestParameters"]!["username"]);
        Assert.Equal("123", (string?)claim["requestParameters"]!["sessionId"]);

        // The certificate served under the kid verifies it too (verifiers that fetch an X.509 PEM by kid).
        var (status, pem, _) = await CallAsync(Unknown, "GET", "/" + kid);
        Assert.Equal(200, status);
        using var certificate = X509Certificate2.CreateFromPem(pem);
        using var rsa = certificate.GetRSAPublicKey()!;
        var parts = token.Split('.');
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // A tampered payload does not verify.
        var forged = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString().Replace(FullImsi, "440109999000192", StringComparison.Ordinal))) + "." + parts[2];
        await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => VerifyAsync(forged));
    }

    [Fact]
    public async Task Without_parametersToEndorse_the_token_carries_the_IMSI_alone_for_ten_minutes()
    {
        var (_, payload) = await VerifyAsync(await TokenAsync(Minimal, "/v1/token?username=ignored"));

        Assert.Equal("""{"imsi":"440109999000192"}""", payload["soracom-endorse-claim"]!.ToJsonString());
        Assert.Equal(EndorseSettings.DefaultTokenTimeoutSeconds, (long)payload["exp"]! - (long)payload["iat"]!);
    }

    [Fact]
    public async Task A_POST_body_becomes_requestParameters_and_allowOrigin_is_sent()
    {
        var (status, body, headers) = await CallAsync(Full, "POST", "/", "-H", "Content-Type: application/json", "--data-binary", """{"username":"sora","n":1}""");

        Assert.Equal(200, status);
        Assert.Contains("Access-Control-Allow-Origin: https://app.example.com", headers, StringComparison.OrdinalIgnoreCase);
        var (_, payload) = await VerifyAsync((string)JsonNode.Parse(body)!["token"]!);
        Assert.Equal("""{"username":"sora","n":1}""", payload["soracom-endorse-claim"]!["requestParameters"]!.ToJsonString());
    }

    [Fact]
    public async Task Redirect_url_is_honoured_only_from_the_allow_list()
    {
        var (status, _, headers) = await CallAsync(Full, "GET", "/?redirect_url=" + Uri.EscapeDataString("https://backend.example.com/login/cb?x=1"));
        Assert.Equal(302, status);
        var location = headers.Split("\r\n").Single(l => l.StartsWith("Location:", StringComparison.OrdinalIgnoreCase))["Location:".Length..].Trim();
        Assert.StartsWith("https://backend.example.com/login/cb?x=1&soracom_endorse_token=", location, StringComparison.Ordinal);
        var (_, payload) = await VerifyAsync(location[(location.IndexOf("soracom_endorse_token=", StringComparison.Ordinal) + "soracom_endorse_token=".Length)..]);
        Assert.Equal(FullImsi, (string?)payload["soracom-endorse-claim"]!["imsi"]);
        Assert.Null(payload["soracom-endorse-claim"]!["requestParameters"]!["redirect_url"]);

        (status, _, headers) = await CallAsync(Full, "GET", "/?redirect_url=" + Uri.EscapeDataString("http://localhost:3000"));
        Assert.Equal(302, status);
        Assert.Contains("Location: http://localhost:3000?soracom_endorse_token=", headers, StringComparison.OrdinalIgnoreCase);

        foreach (var refused in new[] { "https://backend.example.com/loginx", "https://backend.example.com.evil.test/login", "https://evil.test/", "javascript:alert(1)" })
        {
            (status, var body, headers) = await CallAsync(Full, "GET", "/?redirect_url=" + Uri.EscapeDataString(refused));
            Assert.Equal(400, status);
            Assert.Equal("END0003", (string?)JsonNode.Parse(body)!["code"]);
            Assert.DoesNotContain("Location:", headers, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_disabled_group_and_an_unknown_device_get_no_token()
    {
        var (status, body, _) = await CallAsync(Off, "GET", "/");
        Assert.Equal(403, status);
        Assert.Equal(EndorseEndpoint.DisabledMessage, (string?)JsonNode.Parse(body)!["message"]);

        (status, body, _) = await CallAsync(Unknown, "GET", "/");
        Assert.Equal(403, status);
        Assert.DoesNotContain("token", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_is_owner_only_survives_a_restart_and_is_replaced_by_rotate_key()
    {
        var folder = Path.Combine(_gateway.DataDir, EndorseKeyStore.FolderName);
        var (header, _) = await VerifyAsync(await TokenAsync(Full));
        var kid = (string)header["kid"]!;
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, kid + ".key")));
        }

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(Path.Combine(folder, kid + ".key"), Ct), StringComparison.Ordinal);

        // A second gateway on a copy of the data directory is the same gateway restarted: same key.
        var restarted = new GatewayProcess();
        var copy = Path.Combine(restarted.DataDir, EndorseKeyStore.FolderName);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(folder))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        await _gateway.DisposeAsync();
        _gateway = restarted;
        await StartAsync(_gateway);
        (header, _) = await VerifyAsync(await TokenAsync(Full));
        Assert.Equal(kid, (string?)header["kid"]);

        // Rotation: a new key signs after the next start, and the old one stays published for tokens it signed.
        var (exit, output, error) = await CliRunner.RunAsync("", "endorse", "rotate-key", "--data-dir", _gateway.DataDir);
        Assert.True(exit == 0, error);
        var rotated = output.Split('\n')[0].Trim();
        Assert.NotEqual(kid, rotated);
        restarted = new GatewayProcess();
        Directory.CreateDirectory(Path.Combine(restarted.DataDir, EndorseKeyStore.FolderName));
        foreach (var file in Directory.GetFiles(copy))
        {
            File.Copy(file, Path.Combine(restarted.DataDir, EndorseKeyStore.FolderName, Path.GetFileName(file)));
        }

        await _gateway.DisposeAsync();
        _gateway = restarted;
        await StartAsync(_gateway);
        (header, _) = await VerifyAsync(await TokenAsync(Full));
        Assert.Equal(rotated, (string?)header["kid"]);
        var (_, jwks, _) = await CallAsync(Unknown, "GET", EndorseEndpoint.JwksPath);
        Assert.Equal(2, JsonNode.Parse(jwks)!["keys"]!.AsArray().Count);
    }
}
