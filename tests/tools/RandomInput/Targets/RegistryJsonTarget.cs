using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// Registry JSON: a seed file's bytes (<see cref="RegistrySeedFile"/>'s JSON path, then <see cref="RegistryParser.Parse"/>),
/// an admin body's strict parse (<see cref="StrictJson"/>), and a configuration namespace as the admin API's
/// <c>PUT …/configuration/{namespace}</c> validates it. Contract: nothing throws; every failure is an error in the list,
/// and a document comes back exactly when the list is empty.
/// </summary>
internal sealed class RegistryJsonTarget : IParserTarget
{
    public string Name => "registry-json";

    public string Description => "registry JSON seeds and admin bodies (StrictJson, RegistryParser, namespace validation)";

    public IReadOnlyList<byte[]> Samples { get; } = AsciiBytes.Of(RegistrySamples.SeedJson, RegistrySamples.ConfigurationBody, "{}", "{\"groups\":[],\"subscribers\":null}");

    public IReadOnlyList<byte[]> Tokens => RegistrySamples.JsonTokens;

    public int MaxInputBytes => 16 * 1024;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var errors = new List<string>();
        var root = RegistrySeedFile.ParseJson(input, "seed.json", errors);
        if (errors.Count == 0)
        {
            var document = RegistryParser.Parse(root, errors);
            InvariantException.Check((document is null) == (errors.Count > 0), "a document exactly when there is no error");
        }
        else
        {
            InvariantException.Check(root is null, "no tree with a parse error");
        }

        var body = StrictJson.Parse(input, lenient: false, out var error);
        InvariantException.Check((error is null) || body is null, "no tree with a parse error");
        if (body is JsonObject namespaces)
        {
            Configure(namespaces);
        }
    }

    /// <summary>Each namespace-named member as the admin API takes a configuration body.</summary>
    internal static void Configure(JsonObject namespaces)
    {
        foreach (var (name, value) in namespaces)
        {
            if (!RegistryParser.Namespaces.Contains(name))
            {
                continue;
            }

            var errors = new List<string>();
            var path = $"configuration.{name}";
            var map = RegistryParser.ToMapForm(value?.DeepClone(), path, errors);
            if (map is not null)
            {
                RegistryParser.ValidateNamespace(name, map, path, errors, new Dictionary<string, string>(StringComparer.Ordinal) { ["beam-psk"] = "psk" });
            }
        }
    }
}
