using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Admin;

/// <summary>The admin suite with the default SQLite store.</summary>
public sealed class SqliteAdminApiTests : AdminApiTests
{
    protected override Task<string[]> StoreArgsAsync() => Task.FromResult<string[]>([]);
}

/// <summary>The admin suite with a real PostgreSQL store.</summary>
public sealed class PostgresAdminApiTests(Infrastructure.PostgresServer postgres) : AdminApiTests
{
    protected override async Task<string[]> StoreArgsAsync() =>
        ["--store", "postgresql", "--store-connection", await postgres.CreateDatabaseAsync()];
}

/// <summary>Each admin route and permission case, against the real host on loopback.</summary>
public abstract class AdminApiTests : IAsyncLifetime
{
    private const string ReadOnly = """{"statements":[{"effect":"allow","api":["Subscriber:list*","Subscriber:get*","Group:list*","Group:get*"]}]}""";
    private const string AllButCredentials = """{"statements":[{"effect":"allow","api":"*"},{"effect":"deny","api":["Credential:*"]}]}""";
    private const string OtherNetworkOnly = """{"statements":[{"effect":"allow","api":"*","condition":"ipAddress('10.0.0.0/8')"}]}""";
    private const string Expired = """{"statements":[{"effect":"allow","api":"*","condition":"currentDate <= date(2020, 1, 1)"}]}""";

    private readonly GatewayProcess _gateway = new();
    private HttpClient _root = null!;

    public async ValueTask InitializeAsync()
    {
        var seed = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(seed, Registry.RegistryParserTests.Seed(), TestContext.Current.CancellationToken);
        await _gateway.StartAsync(
            [
            .. await StoreArgsAsync(),
            "--registry", seed,
            "--Gateway:Admin:AuthKeys:0:AuthKeyId", "keyId-readonly", "--Gateway:Admin:AuthKeys:0:AuthKey", "secret-readonly-0123456789", "--Gateway:Admin:AuthKeys:0:Permission", ReadOnly,
            "--Gateway:Admin:AuthKeys:1:AuthKeyId", "keyId-nocreds", "--Gateway:Admin:AuthKeys:1:AuthKey", "secret-nocreds-0123456789", "--Gateway:Admin:AuthKeys:1:Permission", AllButCredentials,
            "--Gateway:Admin:AuthKeys:2:AuthKeyId", "keyId-elsewhere", "--Gateway:Admin:AuthKeys:2:AuthKey", "secret-elsewhere-012345678", "--Gateway:Admin:AuthKeys:2:Permission", OtherNetworkOnly,
            "--Gateway:Admin:AuthKeys:3:AuthKeyId", "keyId-expired", "--Gateway:Admin:AuthKeys:3:AuthKey", "secret-expired-0123456789", "--Gateway:Admin:AuthKeys:3:Permission", Expired,
            ]);
        _root = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _root.Dispose();
        await _gateway.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task<string[]> StoreArgsAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task Auth_with_a_wrong_key_is_401_in_soracom_error_shape()
    {
        var (status, body) = await Read(await _gateway.Client.PostAsJsonAsync(_gateway.Url("/v1/auth"), new { authKeyId = GatewayProcess.RootKeyId, authKey = "wrong" }, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("AUT0001", (string?)body!["code"]);
        Assert.Equal("Invalid authKeyId or authKey", (string?)body["message"]);
    }

    [Fact]
    public async Task Auth_returns_api_key_token_and_operator()
    {
        var (status, body) = await Read(await _gateway.Client.PostAsJsonAsync(_gateway.Url("/v1/auth"), new { authKeyId = GatewayProcess.RootKeyId, authKey = GatewayProcess.RootKey }, Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("api-", (string?)body!["apiKey"], StringComparison.Ordinal);
        Assert.Equal("OP0000000000", (string?)body["operatorId"]);
    }

    [Fact]
    public async Task Requests_without_or_with_a_forged_token_are_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _gateway.Client.GetAsync(_gateway.Url("/v1/subscribers"), Ct)).StatusCode);

        using var forged = new HttpClient();
        forged.DefaultRequestHeaders.Add("X-Soracom-API-Key", _root.DefaultRequestHeaders.GetValues("X-Soracom-API-Key").First());
        var token = _root.DefaultRequestHeaders.GetValues("X-Soracom-Token").First();
        forged.DefaultRequestHeaders.Add("X-Soracom-Token", token[..^2] + (token[^2] == 'A' ? "BB" : "AA"));
        var (status, body) = await Read(await forged.GetAsync(_gateway.Url("/v1/subscribers"), Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("AUT0002", (string?)body!["code"]);

        using var swapped = new HttpClient();
        swapped.DefaultRequestHeaders.Add("X-Soracom-API-Key", "api-someone-else");
        swapped.DefaultRequestHeaders.Add("X-Soracom-Token", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await swapped.GetAsync(_gateway.Url("/v1/subscribers"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Subscriber_routes()
    {
        var (status, list) = await Read(await _root.GetAsync(_gateway.Url("/v1/subscribers"), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("440101234567890", (string?)list!.AsArray()[0]!["imsi"]);

        (status, var created) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567891", "ipAddress": "127.0.0.12", "imei": "353000000000002" }"""), Ct));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("active", (string?)created!["status"]);

        Assert.Equal(HttpStatusCode.Conflict, (await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567891" }"""), Ct)).StatusCode);

        (status, var grouped) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers/440101234567891/set_group"), Json("""{ "groupId": "12345678-abcd-9012-efab-345678901234" }"""), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("12345678-abcd-9012-efab-345678901234", (string?)grouped!["groupId"]);

        (status, var badGroup) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers/440101234567891/set_group"), Json("""{ "groupId": "nope" }"""), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("subscribers[440101234567891].groupId: no group 'nope'", (string?)badGroup!["message"]);

        (status, var tagged) = await Read(await _root.PutAsync(_gateway.Url("/v1/subscribers/440101234567891/tags"), Json("""[{ "tagName": "name", "tagValue": "pump-7" }]"""), Ct));
        Assert.Equal("pump-7", (string?)tagged!["tags"]!["name"]);
        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url("/v1/subscribers/440101234567891/tags/name"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _root.DeleteAsync(_gateway.Url("/v1/subscribers/440101234567891/tags/name"), Ct)).StatusCode);

        (status, var locked) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers/440101234567891/set_imei_lock"), Json("""{ "imei": "353000000000002|ANONYMOUS" }"""), Ct));
        Assert.Equal("353000000000002|ANONYMOUS", (string?)locked!["imeiLock"]!["imei"]);
        (status, var unlocked) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers/440101234567891/unset_imei_lock"), null, Ct));
        Assert.Null(unlocked!["imeiLock"]);

        (status, var ungrouped) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers/440101234567891/unset_group"), null, Ct));
        Assert.Null(ungrouped!["groupId"]);

        (status, var updated) = await Read(await _root.PutAsync(_gateway.Url("/v1/subscribers/440101234567891"), Json("""{ "ipAddress": "127.0.0.13", "status": "suspended" }"""), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("suspended", (string?)updated!["status"]);

        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url("/v1/subscribers/440101234567891"), Ct)).StatusCode);
        (status, var missing) = await Read(await _root.GetAsync(_gateway.Url("/v1/subscribers/440101234567891"), Ct));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("COM0002", (string?)missing!["code"]);
    }

    [Fact]
    public async Task Subscriber_lists_page_as_soracom_with_limit_and_next_key()
    {
        // Added out of order: pages come in IMSI order whatever the order of creation.
        foreach (var imsi in new[] { "440109000000005", "440109000000002", "440109000000004", "440109000000001", "440109000000003" })
        {
            Assert.Equal(HttpStatusCode.Created, (await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json($$"""{ "imsi": "{{imsi}}", "groupId": "12345678-abcd-9012-efab-345678901234" }"""), Ct)).StatusCode);
        }

        var seen = new List<string>();
        string? key = null;
        var pages = 0;
        do
        {
            var response = await _root.GetAsync(_gateway.Url($"/v1/subscribers?limit=2{(key is null ? string.Empty : "&last_evaluated_key=" + key)}"), Ct);
            var (status, page) = await Read(response);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.InRange(page!.AsArray().Count, 1, 2);
            seen.AddRange(page.AsArray().Select(static s => (string)s!["imsi"]!));
            key = response.Headers.TryGetValues("x-soracom-next-key", out var next) ? Assert.Single(next) : null;
            if (key is not null)
            {
                Assert.Equal(seen[^1], key);
                Assert.Contains($"last_evaluated_key={key}", response.Headers.GetValues("link").Single(), StringComparison.Ordinal);
            }

            pages++;
        }
        while (key is not null && pages < 10);

        // The seed's subscriber (440101234567890) comes first, then the five in order; no page repeats or skips one.
        Assert.Equal(["440101234567890", "440109000000001", "440109000000002", "440109000000003", "440109000000004", "440109000000005"], seen);
        Assert.Equal(3, pages);

        // Without a limit: one default page (everything here), and no next key when nothing follows.
        var all = await _root.GetAsync(_gateway.Url("/v1/subscribers"), Ct);
        Assert.Equal(6, (await Read(all)).Body!.AsArray().Count);
        Assert.False(all.Headers.Contains("x-soracom-next-key"));

        // The group's subscribers page the same way.
        var groupPage = await _root.GetAsync(_gateway.Url("/v1/groups/12345678-abcd-9012-efab-345678901234/subscribers?limit=3&last_evaluated_key=440109000000001"), Ct);
        Assert.Equal(["440109000000002", "440109000000003", "440109000000004"], (await Read(groupPage)).Body!.AsArray().Select(static s => (string)s!["imsi"]!));
        Assert.Equal("440109000000004", Assert.Single(groupPage.Headers.GetValues("x-soracom-next-key")));

        var (badStatus, bad) = await Read(await _root.GetAsync(_gateway.Url("/v1/subscribers?limit=0"), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("COM0001", (string?)bad!["code"]);
    }

    [Fact]
    public async Task Group_routes_with_soracom_configuration_writes()
    {
        var (status, group) = await Read(await _root.PostAsync(_gateway.Url("/v1/groups"), Json("""{ "tags": { "name": "trucks" } }"""), Ct));
        Assert.Equal(HttpStatusCode.Created, status);
        var id = (string)group!["groupId"]!;
        Assert.True(Guid.TryParse(id, out _));

        (status, var configured) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/configuration/SoracomBeam"),
            Json("""[{ "key": "tcp://beam.soracom.io:8023", "value": { "destination": "tcps://tcp.example.com:1234", "enabled": true, "addSubscriberHeader": true } }]"""), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tcps://tcp.example.com:1234", (string?)configured!["configuration"]!["SoracomBeam"]!["tcp://beam.soracom.io:8023"]!["destination"]);

        (status, var refused) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/configuration/SoracomBeam"),
            Json("""[{ "key": "tcp://beam.soracom.io:8023", "value": { "destination": "https://wrong.example" } }]"""), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"groups[{id}].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].destination: not a tcp:// or tcps:// URL", (string?)refused!["message"]);

        // The gateway's own namespace goes through the same route: a group's address range for devices without a SIM.
        (status, var badRange) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/configuration/GatewayIdentity"),
            Json("""[{ "key": "ipRanges", "value": ["10.77.0.0/16", "10.78.0.0"] }]"""), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"groups[{id}].configuration.GatewayIdentity.ipRanges[1]: '10.78.0.0' is not a CIDR range such as 10.8.0.0/24", (string?)badRange!["message"]);
        (status, var ranged) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/configuration/GatewayIdentity"),
            Json("""[{ "key": "ipRanges", "value": ["10.77.0.0/16"] }]"""), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("10.77.0.0/16", (string?)ranged!["configuration"]!["GatewayIdentity"]!["ipRanges"]![0]);

        (status, var tagged) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/tags"), Json("""[{ "tagName": "fleet", "tagValue": "north" }]"""), Ct));
        Assert.Equal("north", (string?)tagged!["tags"]!["fleet"]);

        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url($"/v1/groups/{id}/configuration/SoracomBeam/{Uri.EscapeDataString("tcp://beam.soracom.io:8023")}"), Ct)).StatusCode);
        (_, var after) = await Read(await _root.GetAsync(_gateway.Url($"/v1/groups/{id}"), Ct));
        Assert.False(after!["configuration"]!["SoracomBeam"]!.AsObject().ContainsKey("tcp://beam.soracom.io:8023"));

        (status, _) = await Read(await _root.PutAsync(_gateway.Url($"/v1/groups/{id}/configuration/SoracomFunnel"), Json("""[{ "key": "enabled", "value": true }]"""), Ct));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url($"/v1/groups/{id}/configuration/SoracomFunnel"), Ct)).StatusCode);

        (status, var subs) = await Read(await _root.GetAsync(_gateway.Url("/v1/groups/12345678-abcd-9012-efab-345678901234/subscribers"), Ct));
        Assert.Single(subs!.AsArray());

        (status, var inUse) = await Read(await _root.DeleteAsync(_gateway.Url("/v1/groups/12345678-abcd-9012-efab-345678901234"), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no group", (string?)inUse!["message"], StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url($"/v1/groups/{id}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _root.GetAsync(_gateway.Url($"/v1/groups/{id}"), Ct)).StatusCode);

        (status, var badNs) = await Read(await _root.PutAsync(_gateway.Url("/v1/groups/12345678-abcd-9012-efab-345678901234/configuration/SoracomBeem"), Json("[]"), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("unknown namespace SoracomBeem", (string?)badNs!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credential_routes_never_return_secrets()
    {
        var (status, created) = await Read(await _root.PostAsync(_gateway.Url("/v1/credentials/new-psk"), Json("""{ "type": "psk", "description": "for TCP", "credentials": { "key": "very-secret-psk" } }"""), Ct));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("{}", created!["credentials"]!.ToJsonString());

        var listText = await _root.GetStringAsync(_gateway.Url("/v1/credentials"), Ct);
        Assert.DoesNotContain("very-secret-psk", listText, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", listText, StringComparison.Ordinal);
        Assert.Contains("new-psk", listText, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Conflict, (await _root.PostAsync(_gateway.Url("/v1/credentials/new-psk"), Json("""{ "type": "psk", "credentials": { "key": "x" } }"""), Ct)).StatusCode);
        (status, var bad) = await Read(await _root.PutAsync(_gateway.Url("/v1/credentials/new-psk"), Json("""{ "type": "psk", "credentials": { } }"""), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("credentials[new-psk].credentials.key: required for type psk", (string?)bad!["message"]);

        (status, var inUse) = await Read(await _root.DeleteAsync(_gateway.Url("/v1/credentials/beam-psk"), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no credential set 'beam-psk'", (string?)inUse!["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await _root.DeleteAsync(_gateway.Url("/v1/credentials/new-psk"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Read_only_key_can_read_but_not_write()
    {
        using var reader = await _gateway.LoginAsync("keyId-readonly", "secret-readonly-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(_gateway.Url("/v1/subscribers"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(_gateway.Url("/v1/groups"), Ct)).StatusCode);

        var (status, body) = await Read(await reader.PostAsync(_gateway.Url("/v1/subscribers"), Json("""{ "imsi": "440101234567899" }"""), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("AUT0003", (string?)body!["code"]);
        Assert.Equal("Not permitted: Subscriber:createSubscriber", (string?)body["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync(_gateway.Url("/v1/credentials"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Explicit_deny_beats_allow()
    {
        using var client = await _gateway.LoginAsync("keyId-nocreds", "secret-nocreds-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(_gateway.Url("/v1/groups"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(_gateway.Url("/v1/credentials"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Conditions_on_address_and_date_are_enforced()
    {
        using var elsewhere = await _gateway.LoginAsync("keyId-elsewhere", "secret-elsewhere-012345678");
        Assert.Equal(HttpStatusCode.Forbidden, (await elsewhere.GetAsync(_gateway.Url("/v1/groups"), Ct)).StatusCode);
        using var expired = await _gateway.LoginAsync("keyId-expired", "secret-expired-0123456789");
        Assert.Equal(HttpStatusCode.Forbidden, (await expired.GetAsync(_gateway.Url("/v1/groups"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Malformed_and_oversized_bodies_are_refused()
    {
        var (status, body) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json("{ not json"), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("the body is not valid JSON", (string?)body!["message"], StringComparison.Ordinal);

        (status, body) = await Read(await _root.PostAsync(_gateway.Url("/v1/subscribers"), Json(new string(' ', 1024 * 1024 + 1)), Ct));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("COM0004", (string?)body!["code"]);
    }
}
