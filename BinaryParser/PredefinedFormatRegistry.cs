using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Gateway.BinaryParser.Predefined;

namespace Gateway.BinaryParser;

/// <summary>
/// The predefined formats (names starting with <c>@</c>) a format string may name. Immutable; build one with extra
/// or replacement entries to support more devices.
/// </summary>
/// <remarks>
/// Built in:
/// <list type="bullet">
/// <item><c>@button</c>: SORACOM LTE-M Button for Enterprise / Plus (<c>clickType</c>, <c>clickTypeName</c>,
/// <c>batteryLevel</c>). <c>@soracom.button</c>, the name used for the newer Soracom LTE-M Button, is accepted as the
/// same decoder because that device's own binary layout is not published.</item>
/// <item><c>@gpsmultiunit</c> and <c>@json</c>: the payload is a JSON object (GPS Multi-unit sends JSON text); its
/// properties are copied and numbers re-serialised (<c>35.0</c> becomes <c>35</c>).</item>
/// <item><c>@sensit</c>: Sigfox Sens'it V2; the common fields for every mode, and the temperature and humidity
/// fields of mode 1.</item>
/// </list>
/// </remarks>
public sealed class PredefinedFormatRegistry
{
    private readonly FrozenDictionary<string, BinaryDecoder> _decoders;

    /// <summary>Creates a registry with the built-in formats plus <paramref name="additional"/>.</summary>
    /// <param name="additional">
    /// More formats by name (with the leading <c>@</c>); an entry with a built-in name replaces the built-in one.
    /// </param>
    public PredefinedFormatRegistry(IEnumerable<KeyValuePair<string, BinaryDecoder>>? additional = null)
    {
        var decoders = new Dictionary<string, BinaryDecoder>(StringComparer.Ordinal);
        var button = new ButtonDecoder("@button");
        var json = new JsonObjectDecoder("@json");
        decoders["@button"] = button;
        decoders["@soracom.button"] = button;
        decoders["@gpsmultiunit"] = new JsonObjectDecoder("@gpsmultiunit");
        decoders["@json"] = json;
        decoders["@sensit"] = new SensitDecoder("@sensit");

        foreach (var (name, decoder) in additional ?? [])
        {
            ArgumentNullException.ThrowIfNull(decoder);
            if (name is null || name.Length < 2 || name[0] != '@' || name.AsSpan().ContainsAny(" \t\r\n"))
            {
                throw new ArgumentException($"A predefined format name starts with '@' and has no spaces; '{name}' does not.", nameof(additional));
            }

            decoders[name] = decoder;
        }

        _decoders = decoders.ToFrozenDictionary(StringComparer.Ordinal);
        Names = [.. _decoders.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The built-in formats.</summary>
    public static PredefinedFormatRegistry Default { get; } = new();

    /// <summary>Every name this registry knows, with the leading <c>@</c>, sorted.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Looks up a predefined format by its full name, including the leading <c>@</c>.</summary>
    /// <param name="name">The name, e.g. <c>@button</c>.</param>
    /// <param name="decoder">The decoder, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public bool TryGet(string name, [NotNullWhen(true)] out BinaryDecoder? decoder)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _decoders.TryGetValue(name, out decoder);
    }
}
