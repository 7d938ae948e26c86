using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// One element written or deleted: <see cref="Document"/> null means delete, unless the change carries a
/// <see cref="Parsed"/> subscriber (see <see cref="AutoRegistration"/>), which is written as its <see cref="Json"/>.
/// </summary>
internal sealed record RegistryChange(RegistryElementKind Kind, string Id, JsonObject? Document)
{
    /// <summary>
    /// A subscriber already built and checked on its own, with the exact JSON the store keeps for it: validated and
    /// written without a JSON tree or the full parser (an attach storm registers thousands a second).
    /// </summary>
    public static RegistryChange Checked(Subscriber subscriber, string json) =>
        new(RegistryElementKind.Subscriber, subscriber.Imsi, null) { Parsed = subscriber, Json = json };

    /// <summary>The subscriber of a <see cref="Checked"/> change; null otherwise.</summary>
    public Subscriber? Parsed { get; private init; }

    /// <summary>The stored JSON of a <see cref="Checked"/> change; null otherwise.</summary>
    public string? Json { get; private init; }

    public bool IsDeletion => Document is null && Json is null;

    /// <summary>What the store keeps for a change that is not a deletion.</summary>
    public string Text() => Json ?? Document!.ToJsonString();
}
