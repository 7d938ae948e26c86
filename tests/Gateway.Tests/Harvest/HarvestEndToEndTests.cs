using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Harvest;

/// <summary>
/// Harvest Data end to end in a running gateway: datagrams from socat and a UDP socket bound to 127.0.0.16N on the
/// unified port, the real curl to Host <c>harvest.</c> on the device HTTP listener, Beam+Harvest through the unified
/// endpoint to a recording upstream, and every stored row read back through the admin API with its paging.
/// </summary>
public sealed class HarvestEndToEndTests : IAsyncLifetime
{
    private const string Only = "127.0.0.161";
    private const string Stamped = "127.0.0.162";
    private const string WithBeam = "127.0.0.163";
    private const string Off = "127.0.0.164";
    private const string ColdA = "127.0.0.165";
    private const string ColdB = "127.0.0.166";
    private const string Batch = "127.0.0.167";
    private const string BatchRoot = "127.0.0.168";
    private const string BatchImsi = "440109999000167";
    private const string BatchRootImsi = "440109999000168";
    private const string Unknown = "127.0.0.169";
    private const string OnlyImsi = "440109999000161";
    private const string StampedImsi = "440109999000162";
    private const string BeamImsi = "440109999000163";
    private const string ReadOnly = """{"statements":[{"effect":"allow","api":["DataEntry:get*"]}]}""";
    private const string DataEntriesOnly = """{"statements":[{"effect":"allow","api":["DataEntry:getDataEntries"]}]}""";

    private readonly GatewayProcess _gateway = new();
    private RecordingUpstream _upstream = null!;
    private HttpClient _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var seed = $$"""
            {
              "groups": [
                { "groupId": "h-only", "configuration": { "SoracomHarvest": { "enabled": true } } },
                { "groupId": "h-ts", "configuration": { "SoracomHarvest": { "enabled": true,
                    "customTimestamp": { "format": "iso-8601", "type": "jsonpointer", "value": "/time" } } } },
                { "groupId": "h-beam", "configuration": {
                    "SoracomBeam": { "udp://beam.soracom.io:23080": { "destination": "{{_upstream.BaseUri}}beam", "enabled": true } },
                    "SoracomHarvest": { "enabled": true } } },
                { "groupId": "h-off", "configuration": { "SoracomHarvest": { "enabled": false } } },
                { "groupId": "h-cat", "configuration": { "SoracomHarvest": { "enabled": true, "category": "cold room" } } },
                { "groupId": "h-batch", "configuration": { "SoracomHarvest": { "enabled": true, "category": "batched",
                    "customTimestamp": { "format": "unixtime-ms", "type": "jsonpointer", "value": "/t" }, "batch": { "enabled": true, "pointer": "/items" } } } },
                { "groupId": "h-batch-root", "configuration": { "SoracomHarvest": { "enabled": true,
                    "customTimestamp": { "format": "iso-8601", "type": "jsonpointer", "value": "/time" }, "batch": { "enabled": true, "pointer": "" } } } }
              ],
              "subscribers": [
                { "imsi": "{{OnlyImsi}}", "groupId": "h-only", "ipAddress": "{{Only}}" },
                { "imsi": "{{StampedImsi}}", "groupId": "h-ts", "ipAddress": "{{Stamped}}" },
                { "imsi": "{{BeamImsi}}", "groupId": "h-beam", "ipAddress": "{{WithBeam}}" },
                { "imsi": "440109999000164", "groupId": "h-off", "ipAddress": "{{Off}}" },
                { "imsi": "440109999000165", "groupId": "h-cat", "ipAddress": "{{ColdA}}" },
                { "imsi": "440109999000166", "groupId": "h-cat", "ipAddress": "{{ColdB}}" },
                { "imsi": "{{BatchImsi}}", "groupId": "h-batch", "ipAddress": "{{Batch}}" },
                { "imsi": "{{BatchRootImsi}}", "groupId": "h-batch-root", "ipAddress": "{{BatchRoot}}" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, Ct);
        await _gateway.StartAsync(
            "--registry", path,
            "--Gateway:Admin:AuthKeys:0:AuthKeyId", "keyId-harvest-ro", "--Gateway:Admin:AuthKeys:0:AuthKey", "secret-harvest-ro-0123456789", "--Gateway:Admin:AuthKeys:0:Permission", ReadOnly,
            "--Gateway:Admin:AuthKeys:1:AuthKeyId", "keyId-harvest-entries", "--Gateway:Admin:AuthKeys:1:AuthKey", "secret-harvest-entries-0123456789", "--Gateway:Admin:AuthKeys:1:Permission", DataEntriesOnly);
        _api = await _gateway.LoginAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string DeviceUrl => $"http://127.0.0.1:{_gateway.DeviceHttpPort.ToString(CultureInfo.InvariantCulture)}/";

    private Task<(int Status, string Body, string Headers)> PostAsync(string from, string body, string contentType = "application/json", params string[] extra) =>
        Curl.RunAsync(from, ["-X", "POST", "-H", "Host: harvest.soracom.io", "-H", "Content-Type: " + contentType, .. extra, "--data-binary", body, DeviceUrl]);

    /// <summary>One datagram from <paramref name="from"/> to the unified port, and its reply.</summary>
    private async Task<string> DatagramAsync(string from, byte[] payload)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Parse(from), 0));
        await udp.SendAsync(payload, new IPEndPoint(IPAddress.Loopback, _gateway.UnifiedPort), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString((await udp.ReceiveAsync(timeout.Token)).Buffer);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, HttpClient? client = null)
    {
        var response = await (client ?? _api).GetAsync(_gateway.Url(path), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    [Fact]
    public async Task A_datagram_from_socat_is_stored_as_JSON_and_read_back()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var reply = await Socat.RunAsync("{\"temp\":21.5}\n"u8.ToArray(), $"UDP:127.0.0.1:{_gateway.UnifiedPort},bind={Only}", waitSeconds: 2);
        Assert.Equal("201", Encoding.UTF8.GetString(reply));

        var (status, body, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}");
        Assert.Equal(HttpStatusCode.OK, status);
        var entry = Assert.Single(body!.AsArray())!;
        Assert.Equal("application/json", (string?)entry["contentType"]);
        Assert.Equal("{\"temp\":21.5}\n", (string?)entry["content"]);
        Assert.Equal(("Subscriber", OnlyImsi), ((string?)entry["resourceType"], (string?)entry["resourceId"]));
        Assert.InRange((long)entry["time"]!, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Bytes that are not JSON are kept as Base64.
        Assert.Equal("201", await DatagramAsync(Only, [0x01, 0x02, 0xFF]));
        (_, body, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?limit=1");
        Assert.Equal(("application/octet-stream", "AQL/"), ((string?)body![0]!["contentType"], (string?)body[0]!["content"]));

        var (_, resources, _) = await GetAsync("/v1/data/metadata/resources?resource_type=Subscriber");
        var mine = resources!.AsArray().Single(r => (string?)r!["resourceId"] == OnlyImsi)!;
        Assert.Equal(["temp"], mine["attributeNames"]!.AsArray().Select(static n => (string?)n));
    }

    [Fact]
    public async Task Curl_to_the_harvest_host_gets_201_and_pages_through_what_it_stored()
    {
        for (var i = 1; i <= 5; i++)
        {
            var (s, b, _) = await PostAsync(Only, $"{{\"n\":{i}}}", "application/json", "-H", $"X-Soracom-Timestamp: {1_700_000_000_000 + i}");
            Assert.Equal((201, string.Empty), (s, b));
        }

        var (textStatus, _, _) = await PostAsync(Only, "hello", "text/plain", "-H", "X-Soracom-Timestamp: 1700000000010");
        Assert.Equal(201, textStatus);
        var (one, entry, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}/1700000000010");
        Assert.Equal(HttpStatusCode.OK, one);
        Assert.Equal(("text/plain", "hello"), ((string?)entry!["contentType"], (string?)entry["content"]));

        // Pages of two, oldest first, following x-soracom-next-key.
        var times = new List<long>();
        string? key = null;
        var pages = 0;
        do
        {
            var (status, body, response) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?from=1700000000001&to=1700000000005&sort=asc&limit=2"
                + (key is null ? string.Empty : "&last_evaluated_key=" + Uri.EscapeDataString(key)));
            Assert.Equal(HttpStatusCode.OK, status);
            times.AddRange(body!.AsArray().Select(static e => (long)e!["time"]!));
            key = response.Headers.TryGetValues("x-soracom-next-key", out var values) ? values.Single() : null;
            Assert.Equal(key is not null, response.Headers.Contains("link"));
            pages++;
        }
        while (key is not null);
        Assert.Equal([1_700_000_000_001L, 1_700_000_000_002, 1_700_000_000_003, 1_700_000_000_004, 1_700_000_000_005], times);
        Assert.Equal(3, pages);

        // Newest first by default; the same time written again replaces the entry.
        await PostAsync(Only, "{\"n\":50}", "application/json", "-H", "X-Soracom-Timestamp: 1700000000005");
        var (_, desc, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?from=1700000000001&to=1700000000005&limit=1");
        Assert.Equal("{\"n\":50}", (string?)desc![0]!["content"]);

        // Delete one entry: 204, then 404.
        Assert.Equal(HttpStatusCode.NoContent, (await _api.DeleteAsync(_gateway.Url($"/v1/data/Subscriber/{OnlyImsi}/1700000000005"), Ct)).StatusCode);
        var (gone, error, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}/1700000000005");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal("COM0002", (string?)error!["code"]);
    }

    [Fact]
    public async Task The_groups_custom_timestamp_and_curls_default_form_type_are_honoured()
    {
        var (status, _, _) = await PostAsync(Stamped, "{\"time\":\"2026-01-02T03:04:05.678Z\",\"v\":1}");
        Assert.Equal(201, status);
        var (found, _, _) = await GetAsync($"/v1/data/Subscriber/{StampedImsi}/1767323045678");
        Assert.Equal(HttpStatusCode.OK, found);

        (status, var body, _) = await PostAsync(Stamped, "{\"v\":2}");
        Assert.Equal(400, status);
        Assert.Equal("customTimestamp: /time is not in the message", (string?)JsonNode.Parse(body)!["message"]);

        // curl -d sends application/x-www-form-urlencoded: stored as text with that type.
        (status, _, _) = await Curl.RunAsync(Only, ["-H", "Host: harvest.soracom.io", "-H", "X-Soracom-Timestamp: 1700000000100", "-d", "temp=20", DeviceUrl]);
        Assert.Equal(201, status);
        var (_, entry, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}/1700000000100");
        Assert.Equal(("application/x-www-form-urlencoded", "temp=20"), ((string?)entry!["contentType"], (string?)entry["content"]));
    }

    [Fact]
    public async Task A_groups_category_is_stored_with_each_entry_and_listed_across_its_devices()
    {
        // Three from one SIM over HTTP, one from the other over UDP (stamped with the receive time, so newest), and one
        // from a group without a category, which the category's listing must not show.
        for (var i = 1; i <= 3; i++)
        {
            var (s, _, _) = await PostAsync(ColdA, $"{{\"t\":{i}}}", "application/json", "-H", $"X-Soracom-Timestamp: {1_700_000_000_000 + i}");
            Assert.Equal(201, s);
        }

        Assert.Equal("201", await DatagramAsync(ColdB, "{\"t\":4}"u8.ToArray()));
        Assert.Equal(201, (await PostAsync(Only, "{\"t\":5}")).Status);

        var (_, one, _) = await GetAsync("/v1/data/Subscriber/440109999000165/1700000000002");
        Assert.Equal("cold room", (string?)one!["category"]);
        var (_, plain, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?limit=1");
        Assert.Null(plain![0]!["category"]);

        var seen = new List<string>();
        string? key = null;
        do
        {
            var (status, body, response) = await GetAsync("/v1/data/categories/cold%20room?limit=3"
                + (key is null ? string.Empty : "&last_evaluated_key=" + Uri.EscapeDataString(key)));
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(body!.AsArray().Select(static e => $"{(string?)e!["resourceId"]}:{(string?)e["content"]}:{(string?)e["category"]}"));
            key = response.Headers.TryGetValues("x-soracom-next-key", out var values) ? values.Single() : null;
        }
        while (key is not null);
        Assert.Equal(
            ["440109999000166:{\"t\":4}:cold room", "440109999000165:{\"t\":3}:cold room", "440109999000165:{\"t\":2}:cold room", "440109999000165:{\"t\":1}:cold room"],
            seen);

        var (_, asc, _) = await GetAsync("/v1/data/categories/cold%20room?sort=asc&from=1700000000002&limit=1");
        Assert.Equal(1_700_000_000_002L, (long)asc![0]!["time"]!);
        var (_, none, _) = await GetAsync("/v1/data/categories/warm");
        Assert.Empty(none!.AsArray());
        var (badKey, error, _) = await GetAsync("/v1/data/categories/warm?last_evaluated_key=1700000000002_440109999000165");
        Assert.Equal(HttpStatusCode.BadRequest, badKey);
        Assert.Contains("expected <time>_<resourceType>/<resourceId>", (string?)error!["message"], StringComparison.Ordinal);

        // SAM: the read-only key's DataEntry:get* covers the category listing; a key for other data does not.
        using var readOnly = await _gateway.LoginAsync("keyId-harvest-ro", "secret-harvest-ro-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync(_gateway.Url("/v1/data/categories/warm"), Ct)).StatusCode);
        using var entriesOnly = await _gateway.LoginAsync("keyId-harvest-entries", "secret-harvest-entries-0123456789");
        var denied = await entriesOnly.GetAsync(_gateway.Url("/v1/data/categories/warm"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("Not permitted: DataEntry:getDataEntriesByCategory", (string?)(await denied.Content.ReadFromJsonAsync<JsonObject>(Ct))!["message"]);
    }

    [Fact]
    public async Task A_batch_write_stores_each_element_as_its_own_entry_over_HTTP_and_UDP()
    {
        var (status, body, _) = await PostAsync(Batch, """{"items": [{"t": 1700000000001, "v": 1}, {"t": 1700000000002, "v": 2}, {"t": 1700000000003, "v": [3]}]}""");
        Assert.Equal((201, string.Empty), (status, body));
        var (_, stored, _) = await GetAsync($"/v1/data/Subscriber/{BatchImsi}?sort=asc");
        Assert.Equal(
            ["1700000000001 {\"t\": 1700000000001, \"v\": 1} batched", "1700000000002 {\"t\": 1700000000002, \"v\": 2} batched", "1700000000003 {\"t\": 1700000000003, \"v\": [3]} batched"],
            stored!.AsArray().Select(static e => $"{(long)e!["time"]!} {(string?)e["content"]} {(string?)e["category"]}"));
        Assert.All(stored.AsArray(), static e => Assert.Equal("application/json", (string?)e!["contentType"]));

        // The whole datagram is the array (blank pointer), times in ISO 8601; then the most a batch takes, 100 elements.
        Assert.Equal("201", await DatagramAsync(BatchRoot, """[{"time": "2026-01-02T03:04:05.001Z", "v": 1}, {"time": "2026-01-02T03:04:05.002Z", "v": 2}]"""u8.ToArray()));
        var (_, two, _) = await GetAsync($"/v1/data/Subscriber/{BatchRootImsi}?sort=asc");
        Assert.Equal([1_767_323_045_001L, 1_767_323_045_002], two!.AsArray().Select(static e => (long)e!["time"]!));
        Assert.Equal("{\"time\": \"2026-01-02T03:04:05.002Z\", \"v\": 2}", (string?)two[1]!["content"]);

        Assert.Equal("201", await DatagramAsync(BatchRoot, Encoding.UTF8.GetBytes(IsoArray(100, 3_000))));
        var (_, all, _) = await GetAsync($"/v1/data/Subscriber/{BatchRootImsi}?limit=1000");
        Assert.Equal(102, all!.AsArray().Count);
    }

    [Fact]
    public async Task A_batch_with_one_bad_element_or_too_many_is_refused_whole()
    {
        var (status, body, _) = await PostAsync(Batch, """{"items": [{"t": 1700000000001}, {"v": 2}]}""");
        Assert.Equal((400, "{\"message\":\"batch element /items/1: customTimestamp: /t is not in the element\"}"), (status, body));

        (status, body, _) = await PostAsync(Batch, "{\"items\": [" + string.Join(',', Enumerable.Range(1, 101).Select(static i => $"{{\"t\": {1_700_000_000_000 + i}}}")) + "]}");
        Assert.Equal((413, "{\"message\":\"Too many elements: a batch write stores at most 100 entries (got 101)\"}"), (status, body));

        (status, body, _) = await PostAsync(Batch, $$"""{"items": [{"t": 1700000000001}, {"t": 1700000000002, "pad": "{{new string('x', 1024)}}"}]}""");
        Assert.Equal(413, status);
        Assert.Contains("batch element /items/1 is 1055 bytes; Harvest stores at most 1024 bytes per entry", body, StringComparison.Ordinal);

        (status, body, _) = await PostAsync(Batch, """{"items": {"t": 1700000000001}}""");
        Assert.Equal((400, "{\"message\":\"batch: /items is not a JSON array\"}"), (status, body));

        Assert.Equal("400 batch element /1: customTimestamp: /time is not an ISO 8601 time",
            await DatagramAsync(BatchRoot, """[{"time": "2026-01-02T03:04:05.001Z"}, {"time": "noon"}]"""u8.ToArray()));
        Assert.Equal("400 batch: the message is not JSON (a batch write is a JSON array of entries)", await DatagramAsync(BatchRoot, [0x01, 0x02]));
        Assert.Equal("413 Too many elements: a batch write stores at most 100 entries (got 101)", await DatagramAsync(BatchRoot, Encoding.UTF8.GetBytes(IsoArray(101, 0))));

        // Nothing of any refused message was stored, not even its good elements.
        Assert.Empty((await GetAsync($"/v1/data/Subscriber/{BatchImsi}")).Body!.AsArray());
        Assert.Empty((await GetAsync($"/v1/data/Subscriber/{BatchRootImsi}")).Body!.AsArray());
    }

    /// <summary>A JSON array of <paramref name="count"/> elements, each at its own ISO 8601 time from 2026-01-02T00:00:00Z plus <paramref name="offsetMs"/>.</summary>
    private static string IsoArray(int count, int offsetMs) =>
        "[" + string.Join(',', Enumerable.Range(0, count).Select(i =>
            $"{{\"time\":\"{new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(offsetMs + i).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\"}}")) + "]";

    [Fact]
    public async Task Beam_and_Harvest_over_the_unified_endpoint_both_get_the_message()
    {
        var reply = await DatagramAsync(WithBeam, "{\"both\":true}"u8.ToArray());
        Assert.StartsWith("200 ", reply, StringComparison.Ordinal);
        var unified = JsonNode.Parse(reply[4..])!;
        Assert.Equal("ok", (string?)unified["result"]);
        Assert.Equal(201, (int)unified["detail"]!["harvest"]!["statusCode"]!);
        Assert.Equal(200, (int)unified["detail"]!["beam"]!["statusCode"]!);
        Assert.Equal("{\"payload\":\"eyJib3RoIjp0cnVlfQ==\"}", _upstream.Single().Body);

        var (_, body, _) = await GetAsync($"/v1/data/Subscriber/{BeamImsi}");
        Assert.Equal("{\"both\":true}", (string?)Assert.Single(body!.AsArray())!["content"]);
    }

    [Fact]
    public async Task Bad_input_gets_clear_errors()
    {
        // Over SORACOM's 1 KB: refused, over UDP and HTTP alike, and nothing stored.
        var big = new string('x', 1025);
        Assert.Equal("413 Payload too large: Harvest stores at most 1024 bytes per message", await DatagramAsync(Only, Encoding.UTF8.GetBytes(big)));
        var (status, body, _) = await PostAsync(Only, big, "text/plain");
        Assert.Equal(413, status);
        Assert.Contains("at most 1024 bytes", body, StringComparison.Ordinal);

        (status, body, _) = await PostAsync(Only, "{}", "application/json", "-H", "X-Soracom-Timestamp: yesterday");
        Assert.Equal(400, status);
        Assert.Contains("X-Soracom-Timestamp must be Unix time in milliseconds", body, StringComparison.Ordinal);

        (status, body, _) = await PostAsync(Only, "{not json", "application/json");
        Assert.Equal((400, "{\"message\":\"Invalid JSON\"}"), (status, body));

        (status, _, _) = await PostAsync(Unknown, "{}");
        Assert.Equal(403, status);
        (status, body, _) = await PostAsync(Off, "{}");
        Assert.Equal(400, status);
        Assert.Contains("harvest is not enabled", body, StringComparison.Ordinal);

        var (_, stored, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}");
        Assert.Empty(stored!.AsArray());

        var (notFound, error, _) = await GetAsync("/v1/data/Subscriber/440109999999999");
        Assert.Equal((HttpStatusCode.NotFound, "COM0002"), (notFound, (string?)error!["code"]));
        var (badType, typeError, _) = await GetAsync($"/v1/data/Bogus/{OnlyImsi}");
        Assert.Equal(HttpStatusCode.BadRequest, badType);
        Assert.StartsWith("resource_type 'Bogus' is not one of Subscriber", (string?)typeError!["message"], StringComparison.Ordinal);
        var (badKey, keyError, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?last_evaluated_key=garbage");
        Assert.Equal(HttpStatusCode.BadRequest, badKey);
        Assert.Contains("last_evaluated_key 'garbage'", (string?)keyError!["message"], StringComparison.Ordinal);
        var (badLimit, _, _) = await GetAsync($"/v1/data/Subscriber/{OnlyImsi}?limit=1001");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit);
        var (badResourceKey, _, _) = await GetAsync("/v1/data/metadata/resources?last_evaluated_key=nope");
        Assert.Equal(HttpStatusCode.BadRequest, badResourceKey);
    }

    [Fact]
    public async Task SAM_permissions_apply_under_SORACOMs_operation_names()
    {
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(_gateway.Url($"/v1/data/Subscriber/{OnlyImsi}"), Ct)).StatusCode);

        using var readOnly = await _gateway.LoginAsync("keyId-harvest-ro", "secret-harvest-ro-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync(_gateway.Url($"/v1/data/Subscriber/{OnlyImsi}"), Ct)).StatusCode);
        var denied = await readOnly.DeleteAsync(_gateway.Url($"/v1/data/Subscriber/{OnlyImsi}/1"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("Not permitted: DataEntry:deleteDataEntry", (string?)(await denied.Content.ReadFromJsonAsync<JsonObject>(Ct))!["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await readOnly.GetAsync(_gateway.Url("/v1/data/metadata/resources"), Ct)).StatusCode);
    }
}
