using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class RegistrySeedFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-seed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Json_seed_loads()
    {
        var errors = new List<string>();
        var doc = RegistrySeedFile.Load(Write("seed.json", RegistryParserTests.Seed()), errors);
        Assert.Empty(errors);
        Assert.Single(doc!.Groups);
    }

    [Fact]
    public void Yaml_seed_is_the_same_tree()
    {
        const string yaml = """
            credentials:
              - credentialsId: beam-psk
                type: psk
                credentials: { key: topsecret }
            groups:
              - groupId: g-sensors
                tags: { name: sensors }
                configuration:
                  SoracomAir:
                    binaryParserEnabled: true
                    binaryParserFormat: "@button"
                  SoracomBeam:
                    "tcp://beam.soracom.io:8023":
                      destination: tcps://tcp.example.com:1234
                      enabled: true
                      addSignature: true
                      psk: { $credentialsId: beam-psk }
            subscribers:
              - imsi: 440101234567890
                simId: '8981100024620429680'
                groupId: g-sensors
                ipAddress: 127.0.0.11
            """;
        var errors = new List<string>();
        var doc = RegistrySeedFile.Load(Write("seed.yaml", yaml), errors);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal("440101234567890", doc!.Subscribers[0].Imsi);
        Assert.True((bool)doc.Groups[0].Configuration["SoracomBeam"]!["tcp://beam.soracom.io:8023"]!["addSignature"]!);
    }

    [Fact]
    public void Broken_json_names_line_and_byte()
    {
        var errors = new List<string>();
        var path = Write("bad.json", "{\n  \"groups\": [ { \"groupId\": \"g\" ]\n}");
        Assert.Null(RegistrySeedFile.Load(path, errors));
        Assert.StartsWith($"{path}: not valid JSON at line 2,", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_yaml_names_line()
    {
        var errors = new List<string>();
        var path = Write("bad.yml", "groups:\n  - groupId: [unclosed\n");
        Assert.Null(RegistrySeedFile.Load(path, errors));
        Assert.StartsWith($"{path}: not valid YAML at line", Assert.Single(errors), StringComparison.Ordinal);
    }

    // YamlDotNet 16.3 throws InvalidOperationException or ArgumentException, not YamlException, for these (found by
    // tests/tools/RandomInput): a document-end marker followed by content, "..." opening a flow mapping inside a block
    // sequence, a tag that is not a URI, a %TAG directive without a prefix, an empty verbatim tag. They must be the usual
    // path-named error, not an exception out of Load (a stack trace at start).
    [Theory]
    [InlineData("...\ngroups: []\n")]
    [InlineData("groups:\n  - {...\n groupId: g}\n")]
    [InlineData("groups: !!str]\n")]
    [InlineData("%TAG ! \n---\ngroups: []\n")]
    [InlineData("groups: !<> x\n")]
    public void Yaml_the_parser_library_trips_on_is_a_named_error(string text)
    {
        var errors = new List<string>();
        var path = Write("odd.yaml", text);
        Assert.Null(RegistrySeedFile.Load(path, errors));
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}: not valid YAML at line \d+, column \d+: ", Assert.Single(errors));
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(Path.Combine(_dir, "none.json"), errors));
        Assert.Equal($"{Path.Combine(_dir, "none.json")}: no such file", Assert.Single(errors));
    }

    [Fact]
    public void Unknown_top_level_section_is_an_error()
    {
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(Write("s.json", """{ "groups": [], "sims": [] }"""), errors));
        Assert.Equal("sims: unknown section; expected groups, subscribers or credentials", Assert.Single(errors));
    }

    /// <summary>Nine levels of ten aliases each: a billion leaves from a few hundred bytes.</summary>
    private static string BillionLaughs(int levels)
    {
        var yaml = new System.Text.StringBuilder("a0: &a0 [lol]\n");
        for (var i = 1; i <= levels; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        return yaml.ToString();
    }

    [Fact]
    public void Billion_laughs_is_refused_quickly_with_a_clear_error()
    {
        var path = Write("bomb.yaml", BillionLaughs(9));
        Assert.True(new FileInfo(path).Length < 1024);
        var before = GC.GetTotalAllocatedBytes();

        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(path, errors));

        Assert.Matches(@"^.*bomb\.yaml: not valid YAML at line \d+, column \d+: .*aliases expand to more than 100,000 nodes", Assert.Single(errors));
        Assert.True(GC.GetTotalAllocatedBytes() - before < 200L * 1024 * 1024, "the refusal must come before the expansion");
    }

    [Fact]
    public void Aliases_within_the_bound_still_work()
    {
        const string yaml = """
            groups:
              - groupId: g1
                configuration:
                  SoracomBeam:
                    "tcp://beam.soracom.io:8023": &entry { destination: "tcp://127.0.0.1:9000", enabled: true }
              - groupId: g2
                configuration:
                  SoracomBeam:
                    "tcp://beam.soracom.io:8023": *entry
            """;
        var errors = new List<string>();
        var doc = RegistrySeedFile.Load(Write("shared.yaml", yaml), errors);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal("tcp://127.0.0.1:9000", (string?)doc!.Groups[1].Configuration["SoracomBeam"]!["tcp://beam.soracom.io:8023"]!["destination"]);
    }

    [Theory]
    [InlineData("deep.yaml")]
    [InlineData("deep.json")]
    public void Nesting_is_bounded_with_a_clear_error(string name)
    {
        // Deep enough that building the tree recursively before checking depth would overflow the stack.
        var text = new string('[', 200_000) + new string(']', 200_000);
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(Write(name, text), errors));
        var error = Assert.Single(errors);
        Assert.True(error.Contains("nested deeper than 64 levels", StringComparison.Ordinal) || error.Contains("maximum configured depth of 64", StringComparison.Ordinal), error);
    }

    [Theory]
    [InlineData("dup.json", "{ \"groups\": [], \"groups\": [] }", "not valid JSON at line 1")]
    [InlineData("dup.yaml", "groups: []\ngroups: []\n", "not valid YAML at line 2, column 1: duplicate key 'groups'")]
    public void A_duplicate_key_is_a_start_error_not_a_stack_trace(string name, string text, string expected)
    {
        var errors = new List<string>();
        var path = Write(name, text);
        Assert.Null(RegistrySeedFile.Load(path, errors));
        Assert.StartsWith($"{path}: {expected}", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad.json")]
    [InlineData("bad.yaml")]
    public void Invalid_utf8_is_a_start_error_naming_the_byte(string name)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, [.. "{ \"groups\": [ { \"groupId\": \"g"u8, 0xFF, .. "\" } ] }"u8]);
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(path, errors));
        Assert.Equal($"{path}: not valid UTF-8 (at byte 30)", Assert.Single(errors));
    }

    /// <summary>
    /// A seed larger than the streaming buffer (1 MiB), so elements straddle refills, with the groups after the
    /// subscribers and a mix of shapes: the plain shape the fast reader takes, and lists, escapes, numbers, unknown
    /// fields and comments that go through the full parser.
    /// </summary>
    private static string LargeSeed(int count, Func<int, string?>? broken = null)
    {
        var text = new StringBuilder("{ \"credentials\": [], \"subscribers\": [\n");
        for (var i = 0; i < count; i++)
        {
            var imsi = (440100000000000L + i).ToString(CultureInfo.InvariantCulture);
            text.Append(broken?.Invoke(i) ?? (i % 7) switch
            {
                0 => $$"""{ "imsi": "{{imsi}}", "groupId": "g-{{i % 3}}", "ipAddress": "10.{{i >> 16 & 255}}.{{i >> 8 & 255}}.{{i & 255}}", "tags": { "name": "m-{{i}}" } }""",
                1 => $$"""{ "imsi": {{imsi}}, "ipRanges": ["172.{{16 + (i >> 16 & 15)}}.{{i >> 8 & 255}}.{{i & 255}}/32"] }""",
                2 => $$"""{ "imsi": "{{imsi}}", "tags": { "n\u00e4me": "caf\u00e9" }, "speedClass": "s1.fast" }""",
                3 => $$"""{ "imsi": "{{imsi}}", /* a comment */ "imeiLock": { "imei": "35300000000{{i % 10000:0000}}|ANONYMOUS" }, "status": "inactive" }""",
                4 => $$"""{ "imsi": "{{imsi}}", "msisdn": "+8190{{i:00000000}}", "simId": "8981{{i:0000000000}}", "imei": "353000000{{i:000000}}" }""",
                5 => $$"""{ "imsi": "{{imsi}}", "loraDeviceId": "{{i:x16}}", "ipAddress": null }""",
                _ => $$"""{ "imsi": "{{imsi}}", "groupId": "g-1", "ipAddress": "fd00::{{i:x}}" }""",
            });
            text.Append(i + 1 < count ? ",\n" : "\n");
        }

        text.Append("], \"groups\": [ { \"groupId\": \"g-0\" }, { \"groupId\": \"g-1\" }, { \"groupId\": \"g-2\" } ] }");
        return text.ToString();
    }

    private static RegistryDocument? WholeFile(string text, List<string> errors) =>
        RegistryParser.Parse(StrictJson.Parse(Encoding.UTF8.GetBytes(text), lenient: true, out _), errors);

    [Fact]
    public void A_large_json_seed_is_streamed_to_the_same_registry_as_a_whole_file_parse()
    {
        var text = LargeSeed(14_000);
        Assert.True(text.Length > 1024 * 1024, "larger than the stream's first buffer");
        var errors = new List<string>();
        var streamed = RegistrySeedFile.Load(Write("large.json", text), errors);
        Assert.Empty(errors);

        var whole = WholeFile(text, errors);
        Assert.Empty(errors);
        Assert.Equal(14_000, streamed!.Subscribers.Count);
        Assert.Equal(RegistryJson.Write(whole!).ToJsonString(), RegistryJson.Write(streamed).ToJsonString());
    }

    [Fact]
    public void A_large_json_seed_gives_the_whole_file_parser_errors_in_its_order()
    {
        var text = LargeSeed(12_000, static i => i switch
        {
            17 => """{ "imsi": "44010", "groupId": "nope" }""",
            5_000 => """{ "imsi": "440100000000000" }""",
            6_001 => """{ "imsi": "440109999999999", "ipAddress": "10.0.0.0" }""",
            9_000 => "[1, 2]",
            11_999 => """{ "imsi": "440109999999998", "imeiLock": { "imei": "x" }, "status": "dead" }""",
            _ => null,
        });
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(Write("broken.json", text), errors));

        var expected = new List<string>();
        Assert.Null(WholeFile(text, expected));
        Assert.True(expected.Count >= 6, string.Join("\n", expected));
        Assert.Equal(expected, errors);
    }

    [Fact]
    public void A_large_json_seed_with_broken_text_names_line_and_byte_as_before()
    {
        var text = LargeSeed(12_000).Replace("\"m-11004\" }", "\"m-11004\" ", StringComparison.Ordinal);
        var path = Write("cut.json", text);
        var errors = new List<string>();
        Assert.Null(RegistrySeedFile.Load(path, errors));
        var expected = new List<string>();
        RegistrySeedFile.ParseJson(Encoding.UTF8.GetBytes(text), path, expected);
        Assert.StartsWith($"{path}: not valid JSON at line 1100", Assert.Single(expected), StringComparison.Ordinal);
        Assert.Equal(expected, errors);
    }
}
