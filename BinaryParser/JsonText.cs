using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.BinaryParser;

/// <summary>Pre-encoded JSON text with the same escaping the decoders' writer uses.</summary>
internal static class JsonText
{
    /// <summary>
    /// The output is JSON for machines, never embedded in HTML, so only what JSON itself requires is escaped
    /// (<c>"Temperature + Humidity"</c>, not <c>"Temperature \u002B Humidity"</c>).
    /// </summary>
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The end of every decoded object, as the writer would write it after at least one property.</summary>
    public static ReadOnlySpan<byte> BinaryParserEnabledLast => "\"binaryParserEnabled\":true}"u8;

    public static JsonEncodedText Encode(string value) => JsonEncodedText.Encode(value, Encoder);

    /// <summary><c>"name":</c> as the writer writes a property name, escaped the same way.</summary>
    public static byte[] PropertyPrefix(JsonEncodedText name)
    {
        var utf8 = name.EncodedUtf8Bytes;
        var prefix = new byte[utf8.Length + 3];
        prefix[0] = (byte)'"';
        utf8.CopyTo(prefix.AsSpan(1));
        prefix[^2] = (byte)'"';
        prefix[^1] = (byte)':';
        return prefix;
    }
}
