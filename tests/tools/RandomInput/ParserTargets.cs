using Gateway.RandomInput.Targets;

namespace Gateway.RandomInput;

/// <summary>Every parser the gateway owns, by the name <c>--parser</c> takes.</summary>
internal static class ParserTargets
{
    public static IReadOnlyList<string> Names { get; } = [.. All().Select(static t => t.Name)];

    /// <summary>A fresh instance of each target (targets hold reused parser state, so a run gets its own).</summary>
    public static IEnumerable<IParserTarget> All() =>
    [
        new HttpRequestHeadTarget(),
        new HttpResponseHeadTarget(),
        new ChunkedBodyTarget(),
        new MqttRelayTarget(),
        new MqttEndpointTarget(),
        new RadiusTarget(),
        new BinaryFormatV1Target(),
        new BinaryParserTarget(),
        new RegistryJsonTarget(),
        new RegistryYamlTarget(),
    ];

    public static IParserTarget Create(string name) =>
        All().FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no parser named {name}; known: {string.Join(", ", Names)}", nameof(name));
}
