using System.Text;
using Gateway.Signing.MessageSignatures;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Beam;

/// <summary>The HTTP (:8888) and website (:18080) entry points, driven by curl from distinct loopback addresses.</summary>
public sealed class HttpEntryPointTests : IAsyncLifetime
{
    private readonly GatewayProcess _gateway = new();
    private RecordingUpstream _upstream = null!;
    private int _closedPort;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _closedPort = GatewayProcess.ClosedPort();
        var up = _upstream.BaseUri.ToString().TrimEnd('/');
        var seed = $$"""
            {
              "credentials": [ { "credentialsId": "gw-hmac", "type": "psk", "credentials": { "key": "0123456789abcdef0123456789abcdef" } } ],
              "groups": [
                { "groupId": "g-full", "configuration": { "SoracomBeam": {
                    "http://beam.soracom.io:8888/in": { "destination": "{{up}}/ingest?fixed=1", "enabled": true,
                      "addSubscriberHeader": true, "addEquipmentHeader": true, "addMsisdnHeader": true, "addSimIdHeader": true,
                      "addSignature": true, "psk": "topsecret",
                      "customHeaders": { "X-Group": { "action": "replace", "headerKey": "X-Group", "headerValue": "full" },
                                         "X-Drop": { "action": "delete", "headerKey": "X-Drop" },
                                         "X-Multi": { "action": "append", "headerKey": "X-Multi", "headerValue": "beam" } } },
                    "http://beam.soracom.io:8888/api/": { "destination": "{{up}}/backend/", "enabled": true, "addSubscriberHeader": true },
                    "http://beam.soracom.io:8888/off": { "destination": "{{up}}/off", "enabled": false },
                    "http://beam.soracom.io:8888/refused": { "destination": "http://127.0.0.1:{{_closedPort}}/x", "enabled": true },
                    "http://beam.soracom.io:8888/slow": { "destination": "{{up}}/slow", "enabled": true, "timeoutSeconds": 1 },
                    "http://beam.soracom.io:8888/nxdomain": { "destination": "http://no-such-host.invalid/x", "enabled": true, "timeoutSeconds": 10 },
                    "http://beam.soracom.io:8888/signed": { "destination": "{{up}}/signed", "enabled": true, "addSubscriberHeader": true,
                      "addSignature": true, "psk": "topsecret", "messageSignature": { "keyId": "gw-1", "key": { "$credentialsId": "gw-hmac" } } },
                    "http://beam.soracom.io:18080": { "destination": "{{up}}/base", "enabled": true, "addSubscriberHeader": true, "authorization": "Bearer site-token" }
                } } },
                { "groupId": "g-none", "configuration": {} },
                { "groupId": "g-vpn", "configuration": {
                    "GatewayIdentity": { "ipRanges": ["127.0.9.0/24"] },
                    "SoracomBeam": { "http://beam.soracom.io:8888/vpn": { "destination": "{{up}}/vpn", "enabled": true,
                      "addSubscriberHeader": true, "addEquipmentHeader": true, "addSignature": true, "psk": "topsecret",
                      "customHeaders": { "X-Api-Key": { "action": "replace", "headerKey": "X-Api-Key", "headerValue": "vpn-key" } } } } } }
              ],
              "subscribers": [
                { "imsi": "440101234567890", "imei": "353000000000001", "msisdn": "819012345678", "simId": "8981100024620429680", "groupId": "g-full", "ipAddress": "127.0.0.21" },
                { "imsi": "440101234567891", "groupId": "g-none", "ipAddress": "127.0.0.22" },
                { "imsi": "440101234567892", "groupId": "g-full", "ipAddress": "127.0.0.23", "status": "suspended" },
                { "imsi": "440101234567893", "groupId": "g-vpn", "ipAddress": "127.0.9.5" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync("--registry", path, "--Gateway:Beam:MaxBodyBytes", "65536");
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string Http(string path) => $"http://127.0.0.1:{_gateway.HttpPort}{path}";

    [Fact]
    public async Task Post_is_forwarded_with_identity_signature_and_custom_headers_and_the_reply_relayed()
    {
        _upstream.Reply = (201, "created");
        var (status, body, headers) = await Curl.RunAsync("127.0.0.21", "-X", "POST", "-H", "Content-Type: application/json",
            "-H", "x-soracom-imsi: 999999999999999", "-H", "X-SORACOM-Signature: forged", "-H", "X-Drop: secret", "-H", "X-Multi: device",
            "--data-binary", "{\"temp\":21.5}", Http("/in?device=query"));

        Assert.Equal(201, status);
        Assert.Equal("created", body);
        Assert.Contains("X-Upstream: yes", headers, StringComparison.OrdinalIgnoreCase);

        var r = _upstream.Single();
        Assert.Equal("POST", r.Method);
        Assert.Equal("/ingest", r.Path);
        Assert.Equal("?fixed=1", r.Query);
        Assert.Equal("{\"temp\":21.5}", r.Body);
        Assert.Equal("application/json", r.Headers["content-type"]);
        Assert.Equal("440101234567890", r.Headers["x-soracom-imsi"]);
        Assert.Equal("353000000000001", r.Headers["x-soracom-imei"]);
        Assert.Equal("819012345678", r.Headers["x-soracom-msisdn"]);
        Assert.Equal("8981100024620429680", r.Headers["x-soracom-sim-id"]);
        Assert.Equal("20151001", r.Headers["x-soracom-signature-version"]);
        Assert.Equal("ok", r.SignatureVerdict);
        Assert.Equal("full", r.Headers["x-group"]);
        Assert.False(r.Headers.ContainsKey("x-drop"));
        Assert.Equal("device, beam", r.Headers["x-multi"]);
        Assert.StartsWith("curl/", r.Headers["user-agent"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_in_a_group_range_is_served_with_the_groups_settings_but_no_identity_or_signature()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.9.77", "-H", "x-soracom-imsi: 440101234567890", "--data-binary", "x", Http("/vpn"));
        Assert.Equal(200, status);
        var r = _upstream.Single();
        Assert.Equal("/vpn", r.Path);
        Assert.Equal("vpn-key", r.Headers["x-api-key"]);
        Assert.DoesNotContain(r.Headers.Keys, static h => h.StartsWith("x-soracom-", StringComparison.OrdinalIgnoreCase));

        // A SIM inside the same range is still itself: its IMSI, signed.
        (status, _, _) = await Curl.RunAsync("127.0.9.5", "--data-binary", "y", Http("/vpn"));
        Assert.Equal(200, status);
        var sim = _upstream.Requests.Last();
        Assert.Equal("440101234567893", sim.Headers["x-soracom-imsi"]);
        Assert.Equal("ok", sim.SignatureVerdict);
    }

    [Fact]
    public async Task Path_ending_in_slash_is_a_prefix_and_the_rest_follows_the_destination()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.0.21", Http("/api/v1/readings?x=1"));
        Assert.Equal(200, status);
        var r = _upstream.Single();
        Assert.Equal("GET", r.Method);
        Assert.Equal("/backend/v1/readings", r.Path);
        Assert.Equal("", r.Query);
        Assert.False(r.Headers.ContainsKey("x-soracom-signature"));
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/in/sub")]
    [InlineData("/off")]
    [InlineData("/api")]
    public async Task Unknown_or_disabled_path_is_404(string path)
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.21", Http(path));
        Assert.Equal(404, status);
        Assert.Equal("no Beam entry for this path\n", body);
        Assert.Empty(_upstream.Requests);
    }

    [Theory]
    [InlineData("127.0.0.99")]
    [InlineData("127.0.0.23")]
    public async Task Unknown_or_suspended_device_is_403(string source)
    {
        var (status, body, _) = await Curl.RunAsync(source, Http("/in"));
        Assert.Equal(403, status);
        Assert.Equal("device not recognised\n", body);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Group_without_beam_configuration_gets_404()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.0.22", Http("/in"));
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Refused_upstream_is_502()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.21", Http("/refused"));
        Assert.Equal(502, status);
        Assert.Equal("upstream refused the connection\n", body);
    }

    [Fact]
    public async Task Slow_upstream_is_504_after_the_configured_timeout()
    {
        _upstream.Delay = TimeSpan.FromSeconds(5);
        var (status, body, _) = await Curl.RunAsync("127.0.0.21", Http("/slow"));
        Assert.Equal(504, status);
        Assert.Equal("upstream timed out after 1 s\n", body);
    }

    [Fact]
    public async Task Unresolvable_upstream_is_502()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.21", Http("/nxdomain"));
        Assert.Equal(502, status);
        Assert.Equal("upstream host not found\n", body);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[100_000], TestContext.Current.CancellationToken);
        var (status, _, _) = await Curl.RunAsync("127.0.0.21", "-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + file, Http("/in"));
        File.Delete(file);
        Assert.Equal(413, status);
    }

    [Fact]
    public async Task Chunked_body_streams_through()
    {
        var text = new string('x', 50_000);
        var (status, _, _) = await Curl.RunAsync("127.0.0.21", "-X", "POST", "-H", "Transfer-Encoding: chunked", "--data-binary", text, Http("/in"));
        Assert.Equal(200, status);
        Assert.Equal(text, _upstream.Single().Body);
    }

    [Fact]
    public async Task Rfc9421_option_signs_method_uri_body_and_identity()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.0.21", "-X", "POST", "--data-binary", "reading=7", Http("/signed"));
        Assert.Equal(200, status);
        var r = _upstream.Single();
        Assert.Equal("ok", r.SignatureVerdict);
        Assert.Equal(ContentDigest.Compute("reading=7"u8), r.Headers["content-digest"]);

        var options = new MessageSignatureVerifierOptions { MaxClockSkew = TimeSpan.FromMinutes(5) };
        options.Keys["gw-1"] = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef");
        var message = new HttpMessageComponents(r.Method, new Uri(_upstream.BaseUri, r.Path + r.Query), r.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value)));
        var verdict = new HttpMessageSignatureVerifier(options).Verify(message, r.Headers["signature-input"], r.Headers["signature"]);
        Assert.True(verdict.IsValid, verdict.Reason);
        Assert.Contains("x-soracom-imsi", verdict.Components);
    }

    [Fact]
    public async Task Website_keeps_path_and_query_under_the_destination_base_and_adds_authorization()
    {
        var (status, body, _) = await Curl.RunAsync("127.0.0.21", $"http://127.0.0.1:{_gateway.WebsitePort}/my/custom/path?page=2&sort=asc");
        Assert.Equal(200, status);
        Assert.Equal("pong", body);
        var r = _upstream.Single();
        Assert.Equal("/base/my/custom/path", r.Path);
        Assert.Equal("?page=2&sort=asc", r.Query);
        Assert.Equal("Bearer site-token", r.Headers["authorization"]);
        Assert.Equal("440101234567890", r.Headers["x-soracom-imsi"]);
    }

    [Fact]
    public async Task Admin_api_is_not_reachable_on_device_ports()
    {
        var (status, _, _) = await Curl.RunAsync("127.0.0.21", "-X", "POST", "--data-binary", "{}", Http("/v1/auth"));
        Assert.Equal(404, status);
    }
}
