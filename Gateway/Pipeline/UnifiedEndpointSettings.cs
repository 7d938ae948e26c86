using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Pipeline;

/// <summary>
/// The group's <c>UnifiedEndpoint</c> namespace. SORACOM's own key names are seen in one real group read back from
/// its API, <c>{"UnifiedEndpoint": {"response": {"format": "SoracomHarvest"}, "enabled": true}}</c>: the format
/// values are the console's choices spelled as namespaces. <c>Auto</c> and <c>Unified</c> are spelled as the console
/// shows them (no sample seen), matched without regard to case, as are the short service names (<c>funnel</c>).
/// <c>enabled</c> is accepted and ignored: the unified endpoint is always on. Custom responses and Funk are not
/// implemented, so a group asking for them is refused when it loads rather than answered in a format it did not ask for.
/// SORACOM's namespace also holds a Binary Format v1 switch for TCP whose key name is not published: this gateway reads
/// <c>binaryFormatV1Enabled</c> (Beam's spelling of the same switch), a boolean, default false.
/// </summary>
internal static class UnifiedEndpointSettings
{
    public const string Namespace = "UnifiedEndpoint";

    public const string BinaryFormatV1Key = "binaryFormatV1Enabled";

    private static readonly ConditionalWeakTable<Group, Compiled> s_cache = [];

    private static readonly Dictionary<string, UnifiedResponseFormat> s_formats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Auto"] = UnifiedResponseFormat.Auto,
        ["Unified"] = UnifiedResponseFormat.Unified,
        ["SoracomBeam"] = UnifiedResponseFormat.Of("beam"),
        ["SoracomFunnel"] = UnifiedResponseFormat.Of("funnel"),
        ["SoracomHarvest"] = UnifiedResponseFormat.Of("harvest"),
        ["beam"] = UnifiedResponseFormat.Of("beam"),
        ["funnel"] = UnifiedResponseFormat.Of("funnel"),
        ["harvest"] = UnifiedResponseFormat.Of("harvest"),
    };

    // SORACOM's other choices: known, so refused with a reason rather than as a typo.
    private static readonly HashSet<string> s_unsupported = new(["Custom", "SoracomFunk", "funk"], StringComparer.OrdinalIgnoreCase);

    private const string Supported = "Auto, Unified, SoracomBeam, SoracomFunnel, SoracomHarvest";

    /// <summary>The group's response format (Auto when the namespace or the key is absent), worked out once per group object.</summary>
    public static UnifiedResponseFormat For(Group? group) => group is null ? UnifiedResponseFormat.Auto : Compile(group).Format;

    /// <summary>True when the group asks for Binary Format v1 on the unified endpoint's TCP (<see cref="BinaryFormatV1Key"/>).</summary>
    public static bool BinaryFormatV1(Group? group) => group is not null && Compile(group).BinaryFormatV1;

    private static Compiled Compile(Group group) => s_cache.GetValue(group, static g =>
    {
        var map = g.Configuration[Namespace] as JsonObject;
        return new Compiled(Read(map), map?[BinaryFormatV1Key] is JsonValue v && v.GetValueKind() == JsonValueKind.True);
    });

    /// <summary>Checks <paramref name="map"/> when <paramref name="ns"/> is this namespace (the registry parser's one call).</summary>
    public static void ValidateNamespace(string ns, JsonObject map, string path, List<string> errors)
    {
        if (ns == Namespace)
        {
            Validate(map, path, errors);
        }
    }

    /// <summary>Checks the namespace's known keys, each error named by its path; unknown keys are left alone, as in the other namespaces.</summary>
    public static void Validate(JsonObject map, string path, List<string> errors)
    {
        if (map["enabled"] is { } enabled && enabled.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{path}.enabled: must be true or false");
        }

        if (map[BinaryFormatV1Key] is { } framed && framed.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{path}.{BinaryFormatV1Key}: must be true or false");
        }

        if (map["response"] is not { } responseNode)
        {
            return;
        }

        if (responseNode is not JsonObject response)
        {
            errors.Add($"{path}.response: must be an object {{\"format\": \"…\"}}");
            return;
        }

        if (response["format"] is not { } formatNode)
        {
            return;
        }

        if (formatNode is not JsonValue value || !value.TryGetValue<string>(out var format))
        {
            errors.Add($"{path}.response.format: must be a string, one of {Supported}");
        }
        else if (s_unsupported.Contains(format))
        {
            errors.Add($"{path}.response.format: '{format}' is not supported by this gateway; use one of {Supported}");
        }
        else if (!s_formats.ContainsKey(format))
        {
            errors.Add($"{path}.response.format: '{format}' is not one of {Supported}");
        }
    }

    private static UnifiedResponseFormat Read(JsonObject? map) =>
        map?["response"] is JsonObject response && response["format"] is JsonValue v && v.TryGetValue<string>(out var format)
            && s_formats.TryGetValue(format, out var known)
            ? known
            : UnifiedResponseFormat.Auto;

    /// <summary>What the namespace says, worked out once per group object.</summary>
    private sealed record Compiled(UnifiedResponseFormat Format, bool BinaryFormatV1);
}
