using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Harvest;
using Gateway.Registry;

namespace Gateway.Tests.Harvest;

/// <summary>The <c>SoracomHarvest</c> namespace as the registry checks it, the settings checked at start, the paging keys, the custom timestamp.</summary>
public sealed class HarvestConfigTests
{
    private static List<string> Check(string json)
    {
        var errors = new List<string>();
        HarvestConfigValidator.Validate(JsonNode.Parse(json)!.AsObject(), "groups[g1].configuration.SoracomHarvest", errors);
        return errors;
    }

    [Fact]
    public void Accepts_SORACOMs_options() =>
        Assert.Empty(Check("""{"enabled": true, "customTimestamp": {"format": "iso-8601", "type": "jsonpointer", "value": "/time"}, "category": "cold room 2"}"""));

    [Theory]
    [InlineData("""{"enabled": "yes"}""", "groups[g1].configuration.SoracomHarvest.enabled: must be true or false")]
    [InlineData("""{"enabeld": true}""", "groups[g1].configuration.SoracomHarvest.enabeld: unknown key; known: enabled, customTimestamp, category, batch, delivery")]
    [InlineData("""{"customTimestamp": {"format": "rfc822", "value": "/t"}}""", "groups[g1].configuration.SoracomHarvest.customTimestamp.format: 'rfc822' is not one of iso-8601, unixtime-ms")]
    [InlineData("""{"customTimestamp": {"type": "xpath", "value": "/t"}}""", "groups[g1].configuration.SoracomHarvest.customTimestamp.type: 'xpath' is not supported; the only type is jsonpointer")]
    [InlineData("""{"customTimestamp": {"format": "iso-8601"}}""", "groups[g1].configuration.SoracomHarvest.customTimestamp.value: required (a JSON pointer such as /time)")]
    [InlineData("""{"customTimestamp": {"value": "time"}}""", "groups[g1].configuration.SoracomHarvest.customTimestamp.value: 'time' is not a JSON pointer (it starts with /)")]
    [InlineData("""{"customTimestamp": "/time"}""", "groups[g1].configuration.SoracomHarvest.customTimestamp: must be an object {\"format\": \"iso-8601\", \"type\": \"jsonpointer\", \"value\": \"/time\"}")]
    [InlineData("""{"category": 7}""", "groups[g1].configuration.SoracomHarvest.category: must be a string")]
    [InlineData("""{"category": ""}""", "groups[g1].configuration.SoracomHarvest.category: must be 1 to 64 characters (was 0)")]
    [InlineData("""{"category": "a/b"}""", "groups[g1].configuration.SoracomHarvest.category: 'a/b' must be printable characters without '/' (it is a path segment of /v1/data/categories/{category})")]
    [InlineData("""{"category": "a\tb"}""", "groups[g1].configuration.SoracomHarvest.category: 'a\\u0009b' must be printable characters without '/' (it is a path segment of /v1/data/categories/{category})")]
    [InlineData("""{"category": " cold"}""", "groups[g1].configuration.SoracomHarvest.category: ' cold' must not begin or end with a space")]
    [InlineData("""{"batch": {"enabled": true}}""", "groups[g1].configuration.SoracomHarvest.batch: a batch write needs customTimestamp, which reads each element's time")]
    [InlineData("""{"batch": {"enabled": "on"}}""", "groups[g1].configuration.SoracomHarvest.batch.enabled: must be true or false")]
    [InlineData("""{"batch": {"enabled": false, "pointer": "items"}}""", "groups[g1].configuration.SoracomHarvest.batch.pointer: 'items' is not a JSON pointer (it starts with /, or is blank for the whole message)")]
    [InlineData("""{"batch": {"enabled": false, "path": "/items"}}""", "groups[g1].configuration.SoracomHarvest.batch.path: unknown key; known: enabled, pointer")]
    [InlineData("""{"batch": true}""", "groups[g1].configuration.SoracomHarvest.batch: must be an object {\"enabled\": true, \"pointer\": \"/items\"}")]
    public void Names_each_problem_with_its_path(string json, string error) => Assert.Equal([error], Check(json));

    [Fact]
    public void Accepts_a_batch_with_a_custom_timestamp() =>
        Assert.Empty(Check("""{"enabled": true, "customTimestamp": {"format": "unixtime-ms", "type": "jsonpointer", "value": "/t"}, "batch": {"enabled": true, "pointer": ""}}"""));

    [Theory]
    [InlineData("/items", """{"items": [{"t": 1}, {"t": 2, "v": [1, 2]}]}""", 200, null)]
    [InlineData("", """[{"t": 1}, {"t": 2, "v": [1, 2]}]""", 200, null)]
    [InlineData("/items", """{"items": [{"t": 1}, {"v": 2}]}""", 400, "batch element /items/1: customTimestamp: /t is not in the element")]
    [InlineData("", """[{"t": 1}, {"t": "soon"}]""", 400, "batch element /1: customTimestamp: /t is not Unix milliseconds")]
    [InlineData("/items", """{"item": []}""", 400, "batch: /items is not in the message")]
    [InlineData("/items", """{"items": {"t": 1}}""", 400, "batch: /items is not a JSON array")]
    [InlineData("", """{"t": 1}""", 400, "batch: the message is not a JSON array")]
    [InlineData("", "[]", 400, "batch: the message is an empty array; nothing to store")]
    [InlineData("", """[{"t": 1, "pad": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]""", 413, "Payload too large: batch element /0 is 71 bytes; Harvest stores at most 64 bytes per entry")]
    public void A_batch_becomes_one_entry_per_element_or_is_refused_whole(string arrayPointer, string json, int status, string? problem)
    {
        using var doc = JsonDocument.Parse(json);
        var template = new HarvestEntry("Subscriber", "4401", 0, "application/json", string.Empty, "cold");
        var entries = new HarvestBatch(arrayPointer).Split(doc.RootElement, new HarvestTimestamp("/t", HarvestTimestamp.UnixMs), template, 64, out var code, out var reason);
        Assert.Equal(problem, reason);
        if (problem is null)
        {
            Assert.Equal(
                [template with { Time = 1, Content = """{"t": 1}""" }, template with { Time = 2, Content = """{"t": 2, "v": [1, 2]}""" }],
                entries!);
        }
        else
        {
            Assert.Null(entries);
            Assert.Equal(status, code);
        }
    }

    [Fact]
    public void A_batch_of_more_than_100_elements_is_refused()
    {
        using var doc = JsonDocument.Parse("[" + string.Join(',', Enumerable.Range(1, 101).Select(static i => $"{{\"t\":{i}}}")) + "]");
        var template = new HarvestEntry("Subscriber", "4401", 0, "application/json", string.Empty);
        var timestamp = new HarvestTimestamp("/t", HarvestTimestamp.UnixMs);
        Assert.Null(new HarvestBatch(string.Empty).Split(doc.RootElement, timestamp, template, 1024, out var status, out var problem));
        Assert.Equal((413, "Too many elements: a batch write stores at most 100 entries (got 101)"), (status, problem));

        using var hundred = JsonDocument.Parse("[" + string.Join(',', Enumerable.Range(1, 100).Select(static i => $"{{\"t\":{i}}}")) + "]");
        Assert.Equal(100, new HarvestBatch(string.Empty).Split(hundred.RootElement, timestamp, template, 1024, out _, out _)!.Length);
    }

    [Fact]
    public void A_category_longer_than_64_characters_is_refused()
    {
        Assert.Empty(Check($$"""{"category": "{{new string('c', 64)}}"}"""));
        Assert.Equal(
            ["groups[g1].configuration.SoracomHarvest.category: must be 1 to 64 characters (was 65)"],
            Check($$"""{"category": "{{new string('c', 65)}}"}"""));
    }

    [Fact]
    public void Spooled_entries_keep_their_category_and_records_of_an_older_gateway_still_read()
    {
        var entries = new[] { new HarvestEntry("Subscriber", "4401", 1, "application/json", "{}", "cold"), new HarvestEntry("Subscriber", "4401", 2, "text/plain", "x") };
        Assert.Equal(entries, HarvestSpoolConsumer.Deserialize(HarvestSpoolConsumer.Serialize(entries)));

        // Version 1: one entry, no category, as the gateway spooled before categories.
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write((byte)1);
            w.Write("Subscriber");
            w.Write("4401");
            w.Write(3L);
            w.Write("application/json");
            w.Write("{\"v\":1}");
        }

        Assert.Equal([new HarvestEntry("Subscriber", "4401", 3, "application/json", "{\"v\":1}")], HarvestSpoolConsumer.Deserialize(stream.ToArray())!);
        Assert.Null(HarvestSpoolConsumer.Deserialize(new byte[] { 9, 0 }));
    }

    [Fact]
    public void The_registry_refuses_a_group_with_a_bad_Harvest_namespace()
    {
        var errors = new List<string>();
        RegistryParser.ValidateNamespace("SoracomHarvest", JsonNode.Parse("""{"enabled": 1}""")!.AsObject(), "groups[g].configuration.SoracomHarvest", errors, new Dictionary<string, string>());
        Assert.Equal(["groups[g].configuration.SoracomHarvest.enabled: must be true or false"], errors);
    }

    [Fact]
    public void Settings_out_of_range_are_refused_at_start_by_name()
    {
        var result = new HarvestOptionsValidator().Validate(null, new HarvestOptions { RetentionDays = 0, MaxEntryBytes = 0 });
        Assert.Equal(
            ["Gateway:Harvest:RetentionDays must be between 1 and 3650 (was 0).", "Gateway:Harvest:MaxEntryBytes must be between 1 and 800000 (was 0)."],
            result.Failures);
        Assert.True(new HarvestOptionsValidator().Validate(null, new HarvestOptions()).Succeeded);
    }

    [Fact]
    public void Paging_keys_round_trip_and_foreign_ones_are_refused()
    {
        var errors = new List<string>();
        var key = HarvestPageKey.EntryKey(new HarvestEntry("Subscriber", "440100000000001", 1789071389169, "application/json", "{}"));
        Assert.Equal("1789071389169_440100000000001", key);
        Assert.Equal(1789071389169, HarvestPageKey.ParseEntryKey(key, "440100000000001", errors));
        Assert.Equal(1789071389169, HarvestPageKey.ParseEntryKey("1789071389169", "440100000000001", errors));
        Assert.Empty(errors);
        Assert.Null(HarvestPageKey.ParseEntryKey("1789071389169_440100000000002", "440100000000001", errors));
        Assert.Null(HarvestPageKey.ParseEntryKey("abc", "440100000000001", errors));
        Assert.Equal(2, errors.Count);

        Assert.Equal(("Subscriber", "4401"), HarvestPageKey.ParseResourceKey("Subscriber/4401", errors));
        Assert.Null(HarvestPageKey.ParseResourceKey("Nope/4401", errors));
        Assert.Null(HarvestPageKey.ParseResourceKey("Subscriber/", errors));
    }

    [Theory]
    [InlineData("iso-8601", "/time", """{"time":"2026-01-02T03:04:05.678Z"}""", 1767323045678L)]
    [InlineData("iso-8601", "/m/t", """{"m":{"t":"2026-01-02T12:04:05.678+09:00"}}""", 1767323045678L)]
    [InlineData("unixtime-ms", "/ts", """{"ts":1767323045678}""", 1767323045678L)]
    [InlineData("unixtime-ms", "/a/1", """{"a":[0, "1767323045678"]}""", 1767323045678L)]
    public void Custom_timestamps_are_read_from_the_JSON(string format, string jsonPointer, string json, long expected)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(expected, new HarvestTimestamp(jsonPointer, format).Read(doc.RootElement, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void A_missing_or_malformed_custom_timestamp_says_so()
    {
        using var doc = JsonDocument.Parse("""{"time":"yesterday"}""");
        Assert.Null(new HarvestTimestamp("/time", "iso-8601").Read(doc.RootElement, out var problem));
        Assert.Equal("customTimestamp: /time is not an ISO 8601 time", problem);
        Assert.Null(new HarvestTimestamp("/t", "iso-8601").Read(doc.RootElement, out problem));
        Assert.Equal("customTimestamp: /t is not in the message", problem);
    }
}
