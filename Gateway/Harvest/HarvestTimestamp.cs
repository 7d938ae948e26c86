using System.Globalization;
using System.Text.Json;

namespace Gateway.Harvest;

/// <summary>
/// A group's <c>customTimestamp</c>: where in a JSON message its time is (<c>type: jsonpointer</c>, <c>value</c> an
/// RFC 6901 pointer) and how it is written (<c>format</c>: <c>iso-8601</c> as SORACOM documents, or <c>unixtime-ms</c>,
/// the epoch form the Japanese page mentions; spec Q13).
/// </summary>
internal sealed class HarvestTimestamp
{
    public const string Iso8601 = "iso-8601";
    public const string UnixMs = "unixtime-ms";

    public static readonly IReadOnlyList<string> Formats = [Iso8601, UnixMs];

    public HarvestTimestamp(string pointer, string format)
    {
        Pointer = pointer;
        Format = format;
    }

    public string Pointer { get; }

    public string Format { get; }

    /// <summary>The time in Unix ms, or null with <paramref name="problem"/> saying what is wrong.</summary>
    /// <param name="subject">What <paramref name="root"/> is, for the problem's text: the message, or a batch's element.</param>
    public long? Read(JsonElement root, out string? problem, string subject = "the message")
    {
        if (!TryResolve(root, Pointer, out var value))
        {
            problem = $"customTimestamp: {Pointer} is not in {subject}";
            return null;
        }

        problem = null;
        if (Format == UnixMs)
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms) && ms >= 0)
            {
                return ms;
            }

            if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out ms))
            {
                return ms;
            }

            problem = $"customTimestamp: {Pointer} is not Unix milliseconds";
            return null;
        }

        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            && time.ToUnixTimeMilliseconds() >= 0)
        {
            return time.ToUnixTimeMilliseconds();
        }

        problem = $"customTimestamp: {Pointer} is not an ISO 8601 time";
        return null;
    }

    /// <summary>RFC 6901: <c>""</c> is the whole document, <c>/a/0/b~1c</c> walks objects and arrays.</summary>
    public static bool TryResolve(JsonElement root, string pointer, out JsonElement value)
    {
        value = root;
        if (pointer.Length == 0)
        {
            return true;
        }

        if (pointer[0] != '/')
        {
            return false;
        }

        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(token, out var child))
            {
                value = child;
            }
            else if (value.ValueKind == JsonValueKind.Array && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < value.GetArrayLength())
            {
                value = value[index];
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
