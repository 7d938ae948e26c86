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

    public static JsonEncodedText Encode(string value) => JsonEncodedText.Encode(value, Encoder);
}
