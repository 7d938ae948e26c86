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
}
