using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Metadata;

/// <summary>
/// What a device may write as tags. The registry's own validation accepts whatever an operator types; a device is
/// less trusted, so its writes are bounded here: a name of 1–<see cref="MaxNameLength"/> characters, a value of at most
/// <see cref="MaxValueLength"/>, no control characters in either (they break logs and the text form of
/// <c>/v1/subscriber.tags.x</c>), and at most <see cref="MaxTags"/> tags on one subscriber.
/// </summary>
internal static class TagRules
{
    public const int MaxNameLength = 128;

    public const int MaxValueLength = 1024;

    public const int MaxTags = 100;

    /// <summary>Parses SORACOM's <c>[{"tagName": …, "tagValue": …}]</c>; null with a reason when it is not valid.</summary>
    public static List<KeyValuePair<string, string>>? Parse(JsonNode? body, out string? error)
    {
        error = null;
        if (body is not JsonArray array || array.Count == 0)
        {
            error = "the body must be a non-empty list [{\"tagName\": \"…\", \"tagValue\": \"…\"}]";
            return null;
        }

        if (array.Count > MaxTags)
        {
            error = $"at most {MaxTags} tags may be written at once";
            return null;
        }

        var tags = new List<KeyValuePair<string, string>>(array.Count);
        foreach (var item in array)
        {
            if (Text(item, "tagName") is not { } name || Text(item, "tagValue") is not { } value)
            {
                error = "each entry needs a string tagName and a string tagValue";
                return null;
            }

            if (CheckName(name) is { } nameError)
            {
                error = nameError;
                return null;
            }

            if (value.Length > MaxValueLength || HasControl(value))
            {
                error = $"tagValue of '{name}': at most {MaxValueLength} characters, no control characters";
                return null;
            }

            tags.Add(new(name, value));
        }

        return tags;
    }

    /// <summary>Null when <paramref name="name"/> is an acceptable tag name, else why not.</summary>
    public static string? CheckName(string name) =>
        name.Length is 0 or > MaxNameLength || HasControl(name)
            ? $"tagName: 1 to {MaxNameLength} characters, no control characters"
            : null;

    private static bool HasControl(string s) => s.AsSpan().ContainsAnyInRange('\0', '\u001f') || s.Contains('\u007f', StringComparison.Ordinal);

    private static string? Text(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
