using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Microsoft.Data.Sqlite;

namespace Gateway.Tests.Admin;

/// <summary>
/// The admin API against hostile or careless input: secrets in group configuration never come back out (and survive
/// a round trip), values that would break a request head are refused with their path, and bodies that are not clean
/// JSON get SORACOM's 400 error rather than a 500 with an empty body.
/// </summary>
public sealed class AdminHardeningTests : IAsyncLifetime
{
    private const string GroupId = "12345678-abcd-9012-efab-345678901234";
    private const string HttpKey = "http://beam.soracom.io:8888/";

    private readonly GatewayProcess _gateway = new();
    private HttpClient _root = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var seed = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, Registry.RegistryParserTests.Seed(), Ct);
        await _gateway.StartAsync("--registry", seed);
        _root = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _root.Dispose();
        await _gateway.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private JsonNode StoredBeamEntry(string key)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_gateway.DataDir, "registry.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT doc FROM registry_groups WHERE id = $id";
        command.Parameters.AddWithValue("$id", GroupId);
        return JsonNode.Parse((string)command.ExecuteScalar()!)!["configuration"]!["SoracomBeam"]![key]!;
    }

    [Fact]
    public async Task Inline_secrets_are_masked_in_get_and_list_and_a_round_trip_keeps_them()
    {
        var (status, group) = await Read(await _root.GetAsync(_gateway.Url($"/v1/groups/{GroupId}"), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        var beam = group!["configuration"]!["SoracomBeam"]!;
        Assert.Equal(ConfigurationSecrets.Mask, (string?)beam[HttpKey]!["psk"]);
        Assert.Equal("beam-psk", (string?)beam["tcp://beam.soracom.io:8023"]!["psk"]!["$credentialsId"]);

        var (_, list) = await Read(await _root.GetAsync(_gateway.Url("/v1/groups"), Ct));
        Assert.DoesNotContain("topsecret", list!.ToJsonString(), StringComparison.Ordinal);

        // Edit the entry as the API showed it (mask included), add an authorization, and put it back.
        var entry = beam[HttpKey]!.DeepClone().AsObject();
        entry["name"] = "renamed";
        entry["authorization"] = "Bearer s3cret-token";
        (status, var updated) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{GroupId}/configuration/SoracomBeam"), Json(new JsonObject { [HttpKey] = entry }.ToJsonString()), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        var shown = updated!["configuration"]!["SoracomBeam"]![HttpKey]!;
        Assert.Equal(ConfigurationSecrets.Mask, (string?)shown["psk"]);
        Assert.Equal(ConfigurationSecrets.Mask, (string?)shown["authorization"]);
        Assert.DoesNotContain("s3cret-token", updated.ToJsonString(), StringComparison.Ordinal);

        var stored = StoredBeamEntry(HttpKey);
        Assert.Equal("topsecret", (string?)stored["psk"]);
        Assert.Equal("Bearer s3cret-token", (string?)stored["authorization"]);
        Assert.Equal("renamed", (string?)stored["name"]);

        // Round trip again with both masked: both stored secrets stay.
        (status, _) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{GroupId}/configuration/SoracomBeam"), Json(new JsonObject { [HttpKey] = shown.DeepClone() }.ToJsonString()), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer s3cret-token", (string?)StoredBeamEntry(HttpKey)["authorization"]);
        Assert.Equal("topsecret", (string?)StoredBeamEntry(HttpKey)["psk"]);
    }

    [Fact]
    public async Task The_mask_where_no_secret_is_stored_is_refused()
    {
        var body = $$"""{ "http://beam.soracom.io:8888/other": { "destination": "http://127.0.0.1:9000/", "addSignature": true, "psk": "{{ConfigurationSecrets.Mask}}" } }""";
        var (status, error) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{GroupId}/configuration/SoracomBeam"), Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("COM0001", (string?)error!["code"]);
        Assert.StartsWith($"groups[{GroupId}].configuration.SoracomBeam[\"http://beam.soracom.io:8888/other\"].psk: is the mask the API shows", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authorization_with_a_line_break_is_refused_with_its_path()
    {
        const string body = """{ "http://beam.soracom.io:8888/x": { "destination": "http://127.0.0.1:9000/", "authorization": "Bearer a\r\nX-Injected: yes" } }""";
        var (status, error) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{GroupId}/configuration/SoracomBeam"), Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"groups[{GroupId}].configuration.SoracomBeam[\"http://beam.soracom.io:8888/x\"].authorization: a header value: not empty, no control characters (CR, LF, NUL, …)", (string?)error!["message"]);
        Assert.DoesNotContain("X-Injected", error.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_key_is_400_in_the_usual_shape()
    {
        var (status, error) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567899", "imsi": "440101234567898" }"""), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("COM0001", (string?)error!["code"]);
        Assert.StartsWith("the body is not valid JSON at line 1", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_is_400_in_the_usual_shape()
    {
        var bytes = "{ \"imsi\": \"44010123456789\u00ff\" }"u8.ToArray();
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        var (status, error) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), content, Ct));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("COM0001", (string?)error!["code"]);
        Assert.Equal($"the body is not valid UTF-8 (at byte {at + 1})", (string?)error["message"]);
    }

    [Fact]
    public async Task A_lone_surrogate_escape_is_400_in_the_usual_shape()
    {
        var (status, error) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "\ud800" }"""), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("COM0001", (string?)error!["code"]);
    }
}
