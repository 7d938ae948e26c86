using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Beam;

/// <summary>HTTPS and TCPS upstreams behind a private CA, with and without mutual TLS.</summary>
public sealed class TlsUpstreamTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private WebApplication _https = null!;
    private TcpListener _tcps = null!;
    private int _httpsPort;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = TestCertificates.Server,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (cert, _, _) => cert.Thumbprint == TestCertificates.Client.Thumbprint,
        })));
        _https = builder.Build();
        _https.Run(async c =>
        {
            var client = c.Connection.ClientCertificate;
            await c.Response.WriteAsync(client is null ? "anonymous" : client.Subject);
        });
        await _https.StartAsync(TestContext.Current.CancellationToken);
        _httpsPort = new Uri(_https.Urls.First()).Port;

        _tcps = new TcpListener(IPAddress.Loopback, 0);
        _tcps.Start();

        var ca = JsonValue.Create(TestCertificates.CaPem)!.ToJsonString();
        var seed = $$"""
            {
              "credentials": [
                { "credentialsId": "client-440101234567041", "type": "x509", "credentials": {
                  "cert": {{JsonValue.Create(TestCertificates.ClientCertPem)!.ToJsonString()}},
                  "key": {{JsonValue.Create(TestCertificates.ClientKeyPem)!.ToJsonString()}} } },
                { "credentialsId": "client-x509", "type": "x509", "credentials": {
                  "cert": {{JsonValue.Create(TestCertificates.ClientCertPem)!.ToJsonString()}},
                  "key": {{JsonValue.Create(TestCertificates.ClientKeyPem)!.ToJsonString()}},
                  "ca": {{ca}} } } ],
              "groups": [
                { "groupId": "g-private-ca", "configuration": { "SoracomBeam": {
                    "http://beam.soracom.io:8888/trusted": { "destination": "https://127.0.0.1:{{_httpsPort}}/x", "caCertificate": {{ca}} },
                    "http://beam.soracom.io:8888/untrusted": { "destination": "https://127.0.0.1:{{_httpsPort}}/x" },
                    "http://beam.soracom.io:8888/per-sim": { "destination": "https://127.0.0.1:{{_httpsPort}}/x", "caCertificate": {{ca}},
                      "useClientCert": true, "clientCerts": { "default": { "$credentialsId": "client-#{imsi}" } } },
                    "http://beam.soracom.io:8888/mutual": { "destination": "https://127.0.0.1:{{_httpsPort}}/x",
                      "useClientCert": true, "clientCerts": { "default": { "$credentialsId": "client-x509" } } },
                    "tcp://beam.soracom.io:8023": { "destination": "tcps://127.0.0.1:{{((IPEndPoint)_tcps.LocalEndpoint).Port}}",
                      "caCertificate": { "$credentialsId": "client-x509" } } } } }
              ],
              "subscribers": [ { "imsi": "440101234567041", "groupId": "g-private-ca", "ipAddress": "127.0.0.41" },
                               { "imsi": "440101234567042", "groupId": "g-private-ca", "ipAddress": "127.0.0.42" } ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _https.DisposeAsync();
        _tcps.Stop();
    }

    private string Http(string path) => $"http://127.0.0.1:{_gateway.HttpPort}{path}";

    [Fact]
    public async Task Private_ca_given_in_the_entry_is_trusted()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.41", Http("/trusted"));
        Assert.Equal(200, status);
        Assert.Equal("anonymous", body);
    }

    [Fact]
    public async Task Without_the_ca_the_handshake_fails_with_502()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.41", Http("/untrusted"));
        Assert.Equal(502, status);
        Assert.Equal("TLS handshake with upstream failed\n", body);
    }

    [Fact]
    public async Task Client_certificate_from_the_credential_set_is_presented()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.41", Http("/mutual"));
        Assert.Equal(200, status);
        Assert.Equal("CN=gateway-client", body);
    }

    [Fact]
    public async Task Per_sim_client_certificate_comes_from_the_imsi_credential_set()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.41", Http("/per-sim"));
        Assert.Equal(200, status);
        Assert.Equal("CN=gateway-client", body);

        // The other SIM has no "client-<imsi>" set: no certificate is presented.
        (status, body, _) = await Curl.RunAsync("127.0.0.42", Http("/per-sim"));
        Assert.Equal(200, status);
        Assert.Equal("anonymous", body);
    }

    [Fact]
    public async Task Tcps_relay_trusts_the_private_ca()
    {
        var accept = Task.Run(async () =>
        {
            using var client = await _tcps.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Server }, TestContext.Current.CancellationToken);
            var buffer = new byte[256];
            var n = await tls.ReadAsync(buffer, TestContext.Current.CancellationToken);
            await tls.WriteAsync(Encoding.UTF8.GetBytes("secure:" + Encoding.UTF8.GetString(buffer, 0, n)), TestContext.Current.CancellationToken);
            await tls.ShutdownAsync();
        }, TestContext.Current.CancellationToken);

        var reply = Encoding.UTF8.GetString(await Socat.RunAsync("hi"u8.ToArray(), $"TCP:127.0.0.1:{_gateway.TcpPort},bind=127.0.0.41"));
        await accept;
        Assert.Equal("secure:hi", reply);
    }
}
