using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// Registry YAML seeds: <see cref="RegistrySeedFile"/>'s YAML path (<see cref="YamlTreeReader"/> over YamlDotNet's
/// parser, with its alias and depth bounds), then <see cref="RegistryParser.Parse"/>. YamlDotNet's scanner is in the
/// path and is fed too. Contract: nothing throws; every failure is an error in the list.
/// </summary>
internal sealed class RegistryYamlTarget : IParserTarget
{
    public string Name => "registry-yaml";

    public string Description => "registry YAML seeds (YamlTreeReader over YamlDotNet, RegistryParser)";

    public IReadOnlyList<byte[]> Samples { get; } = AsciiBytes.Of(
        RegistrySamples.SeedYaml,
        "a: &a [x, y]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n",
        "groups: []\n---\nsubscribers: []\n",
        "{\"groups\": [{\"groupId\": \"g\", \"configuration\": {\"SoracomAir\": {\"binaryParserFormat\": \"@json\"}}}]}");

    public IReadOnlyList<byte[]> Tokens => RegistrySamples.YamlTokens;

    public int MaxInputBytes => 16 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var errors = new List<string>();
        var root = RegistrySeedFile.ParseYaml(input, "seed.yaml", errors);
        if (errors.Count > 0)
        {
            InvariantException.Check(root is null, "no tree with a parse error");
            return;
        }

        var document = RegistryParser.Parse(root, errors);
        InvariantException.Check((document is null) == (errors.Count > 0), "a document exactly when there is no error");
        if (root is JsonObject namespaces)
        {
            RegistryJsonTarget.Configure(namespaces);
        }
    }
}
