using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Metadata;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Metadata;

/// <summary>
/// The metadata service in a running gateway, called by the real curl from 127.0.0.18N on Host
/// <c>metadata.soracom.io</c> (resolved to the device listener): the subscriber JSON without a secret of its group,
/// field reads, userdata, tag and group writes read back through the admin API, and <c>readonly</c>, disabled,
/// <c>allowOrigin</c> and an unknown device.
/// </summary>
public sealed class MetadataEndToEndTests : IAsyncLifetime
{
    private const string Writer = "127.0.0.181";
    private const string Reader = "127.0.0.182";
    private const string Disabled = "127.0.0.183";
    private const string Ungrouped = "127.0.0.184";
    private const string Unknown = "127.0.0.189";
    private const string WriterImsi = "440109999000181";
    private const string Psk = "topsecret-psk-181";
    private const string Authorization = "Bearer s3cret-token-181";

    private readonly GatewayProcess _gateway = new();
    private HttpClient _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var seed = $$"""
            {
              "groups": [
                { "groupId": "m-rw", "configuration": {
                    "SoracomAir": { "metadata": { "enabled": true, "readonly": false, "allowOrigin": "https://app.example.com" }, "userdata": "line one\nfirmware=1.2" },
                    "SoracomBeam": { "http://beam.soracom.io:8888/": { "destination": "http://127.0.0.1:9000/", "addSignature": true,
                        "psk": "{{Psk}}", "authorization": "{{Authorization}}" } } } },
                { "groupId": "m-ro", "configuration": { "SoracomAir": { "metadata": { "enabled": true, "readonly": true } } } },
                { "groupId": "m-off", "configuration": { "SoracomAir": { "metadata": { "enabled": false } } } },
                { "groupId": "m-other", "configuration": { "SoracomAir": { "metadata": { "enabled": true, "readonly": false } } } }
              ],
              "subscribers": [
                { "imsi": "{{WriterImsi}}", "msisdn": "814000000181", "simId": "8981100000000000181", "groupId": "m-rw", "ipAddress": "{{Writer}}",
                  "tags": { "name": "gw-181", "LED": "1", "fw.version": "2.0" } },
                { "imsi": "440109999000182", "groupId": "m-ro", "ipAddress": "{{Reader}}" },
                { "imsi": "440109999000183", "groupId": "m-off", "ipAddress": "{{Disabled}}" },
                { "imsi": "440109999000184", "ipAddress": "{{Ungrouped}}" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await _gateway.StartAsync("--registry", path);
        _api = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _gateway.DisposeAsync();
    }

    private Task<(int Status, string Body, string Headers)> CallAsync(string from, string method, string path, params string[] extra)
    {
        var port = _gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture);
        return Curl.RunAsync(from, ["-X", method, "--resolve", $"metadata.soracom.io:{port}:127.0.0.1", .. extra, $"http://metadata.soracom.io:{port}{path}"]);
    }

    private async Task<JsonObject> AdminSubscriberAsync(string imsi) =>
        (await _api.GetFromJsonAsync<JsonObject>(_gateway.Url($"/v1/subscribers/{imsi}"), Ct))!;

    [Fact]
    public async Task The_subscriber_is_the_callers_own_in_SORACOMs_shape_without_a_secret()
    {
        var (status, body, headers) = await CallAsync(Writer, "GET", "/v1/subscriber");

        Assert.Equal(200, status);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        var s = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(WriterImsi, (string?)s["imsi"]);
        Assert.Equal("814000000181", (string?)s["msisdn"]);
        Assert.Equal("8981100000000000181", (string?)s["iccid"]);
        Assert.Equal("m-rw", (string?)s["groupId"]);
        Assert.Equal("active", (string?)s["status"]);
        Assert.Equal("gw-181", (string?)s["tags"]!["name"]);
        Assert.True((bool)s["sessionStatus"]!["online"]!);
        Assert.Equal(Writer, (string?)s["sessionStatus"]!["ueIpAddress"]);
        Assert.DoesNotContain(Psk, body, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("configuration", body, StringComparison.Ordinal);
        Assert.Contains("Access-Control-Allow-Origin: https://app.example.com", headers, StringComparison.OrdinalIgnoreCase);

        // A header claiming another identity changes nothing: the caller is its source address.
        (status, body, _) = await CallAsync(Reader, "GET", "/v1/subscriber.imsi", "-H", "X-Soracom-Imsi: " + WriterImsi);
        Assert.Equal(200, status);
        Assert.Equal("440109999000182", body);

        // A SIM in no group cannot use the service, as on SORACOM.
        (status, body, _) = await CallAsync(Ungrouped, "GET", "/v1/subscriber");
        Assert.Equal(403, status);
    }

    [Fact]
    public async Task A_dotted_path_gives_a_scalar_as_text_an_object_as_JSON_and_404_when_absent()
    {
        var (status, body, headers) = await CallAsync(Writer, "GET", "/v1/subscriber.tags.LED");
        Assert.Equal(200, status);
        Assert.Equal("1", body);
        Assert.Contains("Content-Type: text/plain", headers, StringComparison.OrdinalIgnoreCase);

        (status, body, _) = await CallAsync(Writer, "GET", "/v1/subscriber.tags.fw.version");
        Assert.Equal((200, "2.0"), (status, body));

        (status, body, _) = await CallAsync(Writer, "GET", "/v1/subscriber.sessionStatus.online");
        Assert.Equal((200, "true"), (status, body));

        (status, body, headers) = await CallAsync(Writer, "GET", "/v1/subscriber.tags");
        Assert.Equal(200, status);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("1", (string?)JsonNode.Parse(body)!["LED"]);

        (status, body, _) = await CallAsync(Writer, "GET", "/v1/subscriber.tags.nope");
        Assert.Equal(404, status);
        Assert.Equal("MET0004", (string?)JsonNode.Parse(body)!["code"]);
        (status, _, _) = await CallAsync(Writer, "GET", "/v1/subscriber.configuration");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Userdata_is_the_groups_text_verbatim()
    {
        var (status, body, headers) = await CallAsync(Writer, "GET", "/v1/userdata");

        Assert.Equal(200, status);
        Assert.Equal("line one\nfirmware=1.2", body);
        Assert.Contains("Content-Type: text/plain", headers, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tag_writes_and_group_changes_are_kept_in_the_registry()
    {
        var (status, body, _) = await CallAsync(Writer, "PUT", "/v1/subscriber/tags", "-H", "Content-Type: application/json",
            "--data-binary", """[{"tagName":"site","tagValue":"A1"},{"tagName":"LED","tagValue":"0"}]""");
        Assert.Equal(200, status);
        Assert.Equal("A1", (string?)JsonNode.Parse(body)!["tags"]!["site"]);
        var stored = await AdminSubscriberAsync(WriterImsi);
        Assert.Equal("A1", (string?)stored["tags"]!["site"]);
        Assert.Equal("0", (string?)stored["tags"]!["LED"]);
        (status, body, _) = await CallAsync(Writer, "GET", "/v1/subscriber.tags.LED");
        Assert.Equal((200, "0"), (status, body));

        (status, _, _) = await CallAsync(Writer, "DELETE", "/v1/subscriber/tags/fw.version");
        Assert.Equal(204, status);
        Assert.Null((await AdminSubscriberAsync(WriterImsi))["tags"]!["fw.version"]);
        (status, _, _) = await CallAsync(Writer, "DELETE", "/v1/subscriber/tags/fw.version");
        Assert.Equal(404, status);

        (status, body, _) = await CallAsync(Writer, "POST", "/v1/subscriber/set_group", "-H", "Content-Type: application/json", "--data-binary", """{"groupId":"m-other"}""");
        Assert.Equal(200, status);
        Assert.Equal("m-other", (string?)JsonNode.Parse(body)!["groupId"]);
        Assert.Equal("m-other", (string?)(await AdminSubscriberAsync(WriterImsi))["groupId"]);
        (status, _, _) = await CallAsync(Writer, "POST", "/v1/subscriber/set_group", "-H", "Content-Type: application/json", "--data-binary", """{"groupId":"no-such-group"}""");
        Assert.Equal(400, status);

        (status, body, _) = await CallAsync(Writer, "POST", "/v1/subscriber/unset_group", "-H", "Content-Type: application/json", "--data-binary", "{}");
        Assert.Equal(200, status);
        Assert.Null((await AdminSubscriberAsync(WriterImsi))["groupId"]);

        // Out of every group, the service is off for it, as on SORACOM.
        (status, _, _) = await CallAsync(Writer, "GET", "/v1/subscriber");
        Assert.Equal(403, status);
    }

    [Theory]
    [InlineData("""[{"tagName":"","tagValue":"x"}]""")]
    [InlineData("""[{"tagName":"bell\u0007","tagValue":"x"}]""")]
    [InlineData("""[{"tagName":"ok","tagValue":"line\nbreak"}]""")]
    [InlineData("""[{"tagName":"ok","tagValue":7}]""")]
    [InlineData("""{"tagName":"ok","tagValue":"x"}""")]
    [InlineData("""[{"tagName":"ok",""")]
    public async Task Invalid_tags_are_refused_and_nothing_is_written(string body)
    {
        var (status, reply, _) = await CallAsync(Writer, "PUT", "/v1/subscriber/tags", "-H", "Content-Type: application/json", "--data-binary", body);

        Assert.Equal(400, status);
        Assert.Equal("COM0001", (string?)JsonNode.Parse(reply)!["code"]);
        Assert.Null((await AdminSubscriberAsync(WriterImsi))["tags"]!["ok"]);
    }

    [Fact]
    public async Task Overlong_tags_are_refused()
    {
        var name = new string('n', TagRules.MaxNameLength + 1);
        var (status, _, _) = await CallAsync(Writer, "PUT", "/v1/subscriber/tags", "-H", "Content-Type: application/json", "--data-binary", $$"""[{"tagName":"{{name}}","tagValue":"x"}]""");
        Assert.Equal(400, status);
        var value = new string('v', TagRules.MaxValueLength + 1);
        (status, _, _) = await CallAsync(Writer, "PUT", "/v1/subscriber/tags", "-H", "Content-Type: application/json", "--data-binary", $$"""[{"tagName":"long","tagValue":"{{value}}"}]""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task A_readonly_group_reads_but_refuses_every_write()
    {
        var (status, _, _) = await CallAsync(Reader, "GET", "/v1/subscriber");
        Assert.Equal(200, status);

        foreach (var (method, path) in new[] { ("PUT", "/v1/subscriber/tags"), ("DELETE", "/v1/subscriber/tags/name"), ("POST", "/v1/subscriber/set_group"), ("POST", "/v1/subscriber/unset_group") })
        {
            (status, var body, _) = await CallAsync(Reader, method, path, "-H", "Content-Type: application/json", "--data-binary", """[{"tagName":"x","tagValue":"y"}]""");
            Assert.Equal(403, status);
            Assert.Equal(MetadataEndpoint.ReadOnlyMessage, (string?)JsonNode.Parse(body)!["message"]);
        }

        var stored = await AdminSubscriberAsync("440109999000182");
        Assert.Equal("m-ro", (string?)stored["groupId"]);
        Assert.Null(stored["tags"]!["x"]);
    }

    [Fact]
    public async Task A_disabled_group_and_an_unknown_device_get_403()
    {
        var (status, body, _) = await CallAsync(Disabled, "GET", "/v1/subscriber");
        Assert.Equal(403, status);
        Assert.Equal(MetadataEndpoint.DisabledMessage, (string?)JsonNode.Parse(body)!["message"]);
        (status, _, _) = await CallAsync(Disabled, "GET", "/v1/userdata");
        Assert.Equal(403, status);

        (status, body, _) = await CallAsync(Unknown, "GET", "/v1/subscriber");
        Assert.Equal(403, status);
        Assert.Equal("MET0001", (string?)JsonNode.Parse(body)!["code"]);
    }

    [Fact]
    public async Task A_browser_preflight_gets_the_groups_allowOrigin()
    {
        var (status, _, headers) = await CallAsync(Writer, "OPTIONS", "/v1/subscriber/tags", "-H", "Origin: https://app.example.com", "-H", "Access-Control-Request-Method: PUT");

        Assert.Equal(204, status);
        Assert.Contains("Access-Control-Allow-Origin: https://app.example.com", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Access-Control-Allow-Methods: GET, PUT, POST, DELETE", headers, StringComparison.OrdinalIgnoreCase);

        (_, _, headers) = await CallAsync(Reader, "GET", "/v1/subscriber");
        Assert.DoesNotContain("Access-Control-Allow-Origin", headers, StringComparison.OrdinalIgnoreCase);
    }
}
