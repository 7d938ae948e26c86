using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Lpwa;

/// <summary>
/// LPWA uplinks to an HTTPS upstream behind a private CA that wants a client certificate: the per-SIM certificate
/// (<c>clientCerts.default.$credentialsId</c> with <c>#{imsi}</c>) is presented, as on every other Beam path.
/// </summary>
public sealed class LpwaClientCertificateTests : IAsyncLifetime
{
    private const string Secret = "chirpstack-secret-0001";

    private readonly GatewayProcess _gateway = new() { WithLpwa = true };
    private readonly ConcurrentQueue<string> _seen = new();
    private WebApplication _https = null!;

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
        _https.Run(c =>
        {
            // The upstream takes uplinks only from the gateway's client certificate.
            var client = c.Connection.ClientCertificate;
            _seen.Enqueue(client?.Subject ?? "anonymous");
            c.Response.StatusCode = client is null ? StatusCodes.Status403Forbidden : StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        await _https.StartAsync(TestContext.Current.CancellationToken);
        var port = new Uri(_https.Urls.First()).Port;

        var seed = $$"""
            {
              "credentials": [
                { "credentialsId": "client-001010000000201", "type": "x509", "credentials": {
                  "cert": {{JsonValue.Create(TestCertificates.ClientCertPem)!.ToJsonString()}},
                  "key": {{JsonValue.Create(TestCertificates.ClientKeyPem)!.ToJsonString()}} } } ],
              "groups": [
                { "groupId": "g-lora-mtls", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "https://127.0.0.1:{{port}}/lora", "enabled": true,
                      "caCertificate": {{JsonValue.Create(TestCertificates.CaPem)!.ToJsonString()}},
                      "useClientCert": true, "clientCerts": { "default": { "$credentialsId": "client-#{imsi}" } } } } } }
              ],
              "subscribers": [
                { "imsi": "001010000000201", "groupId": "g-lora-mtls", "loraDeviceId": "70b3d57ed0000201" },
                { "imsi": "001010000000202", "groupId": "g-lora-mtls", "loraDeviceId": "70b3d57ed0000202" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync(
            "--registry", path,
            "--Gateway:Lpwa:Integrations:0:Name", "cs",
            "--Gateway:Lpwa:Integrations:0:Type", "chirpstack",
            "--Gateway:Lpwa:Integrations:0:Secret", Secret);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _https.DisposeAsync();
    }

    private async Task<(int Status, string Body)> UplinkAsync(string devEui)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_gateway.LpwaPort}/lpwa/chirpstack/cs?event=up")
        {
            Content = new StringContent($$"""{ "deviceInfo": { "devEui": "{{devEui}}" }, "fPort": 2, "data": "AQI=" }""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", Secret);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Per_sim_client_certificate_is_presented_for_lorawan_uplinks()
    {
        var (status, body) = await UplinkAsync("70b3d57ed0000201");

        Assert.Equal(204, status);
        Assert.Equal(string.Empty, body);
        Assert.Equal(["CN=gateway-client"], _seen);
    }

    [Fact]
    public async Task A_sim_without_its_credential_set_presents_no_certificate()
    {
        var (status, body) = await UplinkAsync("70b3d57ed0000202");

        Assert.Equal(403, status);
        Assert.Equal("upstream answered 403\n", body);
        Assert.Equal(["anonymous"], _seen);
    }
}
