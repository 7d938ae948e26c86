using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Harvest;

/// <summary>
/// Checks a group's <c>SoracomHarvest</c> namespace when the registry loads or changes, every problem with its path,
/// e.g. <c>groups[g1].configuration.SoracomHarvest.customTimestamp.format: 'x' is not one of iso-8601, unixtime-ms</c>.
/// Keys: <c>enabled</c> and <c>customTimestamp {format, type: jsonpointer, value}</c> (spec §4.1); <c>category</c>, a
/// label of at most 64 printable characters, and <c>batch {enabled, pointer}</c> (SORACOM has categories and batch
/// writes; these key names are our choice, spec Q13).
/// </summary>
internal static class HarvestConfigValidator
{
    public const int MaxCategoryLength = 64;

    private static readonly string[] s_keys = ["enabled", "customTimestamp", "category", "batch", Spool.DeliveryMode.Key];
    private static readonly string[] s_batchKeys = ["enabled", "pointer"];
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

        if (Text(map, "category", path, errors) is { } category)
        {
            ValidateCategory(category, $"{path}.category", errors);
        }

        if (map["batch"] is { } batch)
        {
            ValidateBatch(batch, map["customTimestamp"] is not null, $"{path}.batch", errors);
        }
    }

    private static void ValidateBatch(JsonNode node, bool hasTimestamp, string path, List<string> errors)
    {
        if (node is not JsonObject batch)
        {
            errors.Add($"{path}: must be an object {{\"enabled\": true, \"pointer\": \"/items\"}}");
            return;
        }

        foreach (var (key, _) in batch)
        {
            if (!s_batchKeys.Contains(key))
            {
                errors.Add($"{RegistryParser.Prop(path, key)}: unknown key; known: {string.Join(", ", s_batchKeys)}");
            }
        }

        var enabled = batch["enabled"] as JsonValue;
        if (enabled is null || enabled.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add($"{path}.enabled: must be true or false");
        }

        if (Text(batch, "pointer", path, errors) is { Length: > 0 } pointer && pointer[0] != '/')
        {
            errors.Add($"{path}.pointer: '{pointer}' is not a JSON pointer (it starts with /, or is blank for the whole message)");
        }

        // Each element is its own entry at its own time; without a way to read it, every element would share one.
        if (enabled?.GetValueKind() == JsonValueKind.True && !hasTimestamp)
        {
            errors.Add($"{path}: a batch write needs customTimestamp, which reads each element's time");
        }
    }

    /// <summary>
    /// A category is read back as a URL path segment (<c>GET /v1/data/categories/{category}</c>): no <c>/</c>, nothing
    /// invisible, and short enough to type.
    /// </summary>
    private static void ValidateCategory(string category, string path, List<string> errors)
    {
        if (category.Length is 0 or > MaxCategoryLength)
        {
            errors.Add($"{path}: must be 1 to {MaxCategoryLength} characters (was {category.Length})");
        }
        else if (category.Any(static c => !IsPrintable(c) || c == '/'))
        {
            errors.Add($"{path}: '{Printable(category)}' must be printable characters without '/' (it is a path segment of /v1/data/categories/{{category}})");
        }
        else if (category.Trim().Length != category.Length)
        {
            errors.Add($"{path}: '{category}' must not begin or end with a space");
        }
    }

    /// <summary>Not a control or format character (zero-width and direction marks), and no whitespace but the space.</summary>
    private static bool IsPrintable(char c) =>
        !char.IsControl(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format && (c == ' ' || !char.IsWhiteSpace(c));

    /// <summary>The category as it can be shown in an error: anything invisible as <c>\uXXXX</c>.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(static c => IsPrintable(c) ? c.ToString() : $"\\u{(int)c:x4}"));

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
