using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Pipeline;

namespace Gateway.Harvest;

/// <summary>
/// What Harvest stores for a message, as SORACOM does (spec §4.2): JSON as its text with <c>application/json</c> —
/// the binary parser's or an LPWA uplink's JSON, an HTTP body sent as JSON, or raw bytes from UDP, TCP or MQTT that
/// are a JSON object or array; text (<c>text/plain</c>, form data, XML) as it came, with the request's type; anything
/// else as Base64 with <c>application/octet-stream</c> (spec: inferred).
/// </summary>
internal static class HarvestContent
{
    public const string Json = "application/json";
    public const string Binary = "application/octet-stream";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The stored type and text, or null with <paramref name="problem"/> when the message cannot be stored as sent.</summary>
    public static (string ContentType, string Content)? For(DeviceMessage message, out string? problem)
    {
        problem = null;
        if (message.Json is { } json)
        {
            return (Json, Encoding.UTF8.GetString(json.Span));
        }

        var payload = message.Payload.Span;
        if (message.Protocol == SourceProtocol.Http && MediaType(message.ContentType) is { } type)
        {
            if (type.Equals(Json, StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            {
                if (!IsJson(payload))
                {
                    problem = "Invalid JSON";
                    return null;
                }

                return (Json, Encoding.UTF8.GetString(payload));
            }

            if (!type.Equals(Binary, StringComparison.OrdinalIgnoreCase) && TryText(payload, out var text))
            {
                return (type, text);
            }

            return (Binary, Convert.ToBase64String(payload));
        }

        // No type to go by (UDP, TCP, MQTT, or an HTTP request without one): JSON when the bytes are a JSON document.
        return IsJsonDocument(payload) ? (Json, Encoding.UTF8.GetString(payload)) : (Binary, Convert.ToBase64String(payload));
    }

    private static string? MediaType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType : null;

    private static bool TryText(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = s_strictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static bool IsJsonDocument(ReadOnlySpan<byte> bytes)
    {
        var trimmed = bytes.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] is (byte)'{' or (byte)'[' && IsJson(bytes);
    }

    private static bool IsJson(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
