using System.Globalization;
using System.Text.Json;

namespace Gateway.Lpwa;

/// <summary>
/// Reading helpers for network-server JSON. Protobuf-generated JSON (ChirpStack) may use the lowerCamelCase or the
/// original snake_case field names and writes 64-bit numbers as strings, so names are tried in both forms and
/// numbers are accepted as numbers or numeric strings. A field that is present but of the wrong kind is an error,
/// reported as the reason the request was refused.
/// </summary>
internal static class LpwaJson
{
    /// <summary>The property under either name, if present and not null.</summary>
    public static bool TryGet(JsonElement o, string name, string? alternative, out JsonElement value)
    {
        if (o.ValueKind == JsonValueKind.Object
            && (o.TryGetProperty(name, out value) || alternative is not null && o.TryGetProperty(alternative, out value))
            && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public static string? String(JsonElement o, string name, string? alternative, string path, ref string? error)
    {
        if (!TryGet(o, name, alternative, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error ??= $"{path} must be a string";
            return null;
        }

        return value.GetString();
    }

    /// <summary>A string or number kept as its text: numbers as written in the JSON, strings unquoted.</summary>
    public static string? Text(JsonElement o, string name, ref string? error)
    {
        if (!TryGet(o, name, null, out var value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String: return value.GetString();
            case JsonValueKind.Number: return value.GetRawText();
            default:
                error ??= $"{name} must be a string or a number";
                return null;
        }
    }

    public static uint UInt32(JsonElement o, string name, string? alternative, string path, ref string? error)
    {
        if (!TryGet(o, name, alternative, out var value))
        {
            // proto3 JSON leaves out fields at their default value.
            return 0;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt32(out var n)
            || value.ValueKind == JsonValueKind.String && uint.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n))
        {
            return n;
        }

        error ??= $"{path} must be a non-negative 32-bit integer";
        return 0;
    }

    public static double? Double(JsonElement o, string name, string? alternative, string path, ref string? error)
    {
        if (!TryGet(o, name, alternative, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d)
            || value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            return double.IsFinite(d) ? d : null;
        }

        error ??= $"{path} must be a number";
        return null;
    }

    public static byte[]? Base64(JsonElement o, string name, string? alternative, string path, ref string? error)
    {
        if (!TryGet(o, name, alternative, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes))
        {
            return bytes;
        }

        error ??= $"{path} must be base64";
        return null;
    }

    /// <summary>
    /// An RFC 3339 time as Unix milliseconds. Network servers write nanoseconds (nine fraction digits), one more
    /// than .NET's parser reads, so the fraction is cut to seven digits first; nothing below a millisecond is kept.
    /// </summary>
    public static long? Time(JsonElement o, string name, string? alternative, string path, ref string? error)
    {
        if (String(o, name, alternative, path, ref error) is not { } text)
        {
            return null;
        }

        if (TryParseTime(text, out var ms))
        {
            return ms;
        }

        error ??= $"{path} must be an RFC 3339 time";
        return null;
    }

    public static bool TryParseTime(string text, out long unixMilliseconds)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            unixMilliseconds = time.ToUnixTimeMilliseconds();
            return true;
        }

        unixMilliseconds = 0;
        return false;
    }
}
