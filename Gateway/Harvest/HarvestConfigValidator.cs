using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Harvest;

/// <summary>
/// Checks a group's <c>SoracomHarvest</c> namespace when the registry loads or changes, every problem with its path,
/// e.g. <c>groups[g1].configuration.SoracomHarvest.customTimestamp.format: 'x' is not one of iso-8601, unixtime-ms</c>.
/// Keys: <c>enabled</c> and <c>customTimestamp {format, type: jsonpointer, value}</c> (spec §4.1).
/// </summary>
internal static class HarvestConfigValidator
{
    private static readonly string[] s_keys = ["enabled", "customTimestamp", Spool.DeliveryMode.Key];
    private static readonly string[] s_timestampKeys = ["format", "type", "value"];

    public static void Validate(JsonObject map, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var (key, _) in map)
        {
            if (!s_keys.Contains(key))
            {
                errors.Add($"{RegistryParser.Prop(path, key)}: unknown key; known: {string.Join(", ", s_keys)}");
            }
        }

        if (map["enabled"] is { } enabled && (enabled is not JsonValue v || v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)))
        {
            errors.Add($"{path}.enabled: must be true or false");
        }

        Spool.DeliveryMode.Validate(map, path, errors);
        if (map["customTimestamp"] is { } node)
        {
            ValidateTimestamp(node, $"{path}.customTimestamp", errors);
        }
    }

    private static void ValidateTimestamp(JsonNode node, string path, List<string> errors)
    {
        if (node is not JsonObject ts)
        {
            errors.Add($"{path}: must be an object {{\"format\": \"iso-8601\", \"type\": \"jsonpointer\", \"value\": \"/time\"}}");
            return;
        }

        foreach (var (key, _) in ts)
        {
            if (!s_timestampKeys.Contains(key))
            {
                errors.Add($"{RegistryParser.Prop(path, key)}: unknown key; known: {string.Join(", ", s_timestampKeys)}");
            }
        }

        var format = Text(ts, "format", path, errors);
        if (format is not null && !HarvestTimestamp.Formats.Contains(format))
        {
            errors.Add($"{path}.format: '{format}' is not one of {string.Join(", ", HarvestTimestamp.Formats)}");
        }

        var type = Text(ts, "type", path, errors);
        if (type is not null && type != "jsonpointer")
        {
            errors.Add($"{path}.type: '{type}' is not supported; the only type is jsonpointer");
        }

        var value = Text(ts, "value", path, errors);
        if (value is null && ts["value"] is null)
        {
            errors.Add($"{path}.value: required (a JSON pointer such as /time)");
        }
        else if (value is { Length: > 0 } && value[0] != '/')
        {
            errors.Add($"{path}.value: '{value}' is not a JSON pointer (it starts with /)");
        }
    }

    private static string? Text(JsonObject o, string name, string path, List<string> errors)
    {
        if (o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        if (o[name] is not null)
        {
            errors.Add($"{path}.{name}: must be a string");
        }

        return null;
    }
}
