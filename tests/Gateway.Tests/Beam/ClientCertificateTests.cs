using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>The HTTPS device port: the client certificate's SHA-256 thumbprint, not the address, says who the device is.</summary>
public sealed class ClientCertificateTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private RecordingUpstream _upstream = null!;
    private string _dir = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _dir = Directory.CreateTempSubdirectory("gw-certs-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_dir, "ca.pem"), TestCertificates.CaPem, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.pem"), TestCertificates.Server.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.key"), TestCertificates.Server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "client.pem"), TestCertificates.ClientCertPem, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "client.key"), TestCertificates.ClientKeyPem, TestContext.Current.CancellationToken);

        using var other = RSA.Create(2048);
        var otherCert = new CertificateRequest("CN=stranger", other, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(_dir, "stranger.pem"), otherCert.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "stranger.key"), other.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);

        using var meter = TestCertificates.IssueClient("CN=meter-7, O=Example");
        await File.WriteAllTextAsync(Path.Combine(_dir, "meter.pem"), meter.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "meter.key"), meter.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        using var impostorKey = RSA.Create(2048);
        using var impostor = new CertificateRequest("CN=meter-7, O=Example", impostorKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(_dir, "impostor.pem"), impostor.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_dir, "impostor.key"), impostorKey.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);

        var thumbprint = TestCertificates.Client.GetCertHashString(HashAlgorithmName.SHA256);
        var seed = $$"""
            { "groups": [ { "groupId": "g-tls", "configuration": { "SoracomBeam": {
                  "http://beam.soracom.io:8888/in": { "destination": "{{_upstream.BaseUri}}in", "addSubscriberHeader": true } } } } ],
              "subscribers": [ { "imsi": "440101234567071", "groupId": "g-tls", "certificateThumbprints": ["{{thumbprint}}"] },
                               { "imsi": "440101234567072", "groupId": "g-tls", "certificateSubjects": ["CN=meter-7,O=Example"] } ] }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--https-port", "{https-port}",
            "--Gateway:Beam:TlsCertificateFile", Path.Combine(_dir, "server.pem"), "--Gateway:Beam:TlsKeyFile", Path.Combine(_dir, "server.key"),
            "--Gateway:Beam:ClientCaFile", Path.Combine(_dir, "ca.pem"));
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Status, string Body, string Headers)> Https(string name) =>
        Curl.RunAsync("127.0.0.1", "--cacert", Path.Combine(_dir, "ca.pem"), "--cert", Path.Combine(_dir, $"{name}.pem"), "--key", Path.Combine(_dir, $"{name}.key"),
            $"https://127.0.0.1:{_gateway.HttpsPort}/in");

    [Fact]
    public async Task Registered_client_certificate_identifies_the_subscriber()
    {
        var (status, _, _) = await Https("client");
        Assert.Equal(200, status);
        Assert.Equal("440101234567071", _upstream.Single().Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task Certificate_from_the_device_ca_is_recognised_by_subject()
    {
        var (status, _, _) = await Https("meter");
        Assert.Equal(200, status);
        Assert.Equal("440101234567072", _upstream.Single().Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task Same_subject_from_another_issuer_is_refused()
    {
        var (status, body, _) = await Https("impostor");
        Assert.Equal(403, status);
        Assert.Equal("device not recognised\n", body);
    }

    [Fact]
    public async Task Unregistered_client_certificate_is_refused()
    {
        var (status, body, _) = await Https("stranger");
        Assert.Equal(403, status);
        Assert.Equal("device not recognised\n", body);
    }

    [Fact]
    public async Task No_client_certificate_fails_the_handshake()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.0.1", "--cacert", Path.Combine(_dir, "ca.pem"), $"https://127.0.0.1:{_gateway.HttpsPort}/in");
        Assert.Equal(0, status);
        Assert.Empty(_upstream.Requests);
    }
}
