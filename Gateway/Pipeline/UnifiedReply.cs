using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Pipeline;

/// <summary>
/// Renders a pipeline's results for the device in SORACOM's unified-endpoint formats. Auto (the default): one
/// service → its own reply unchanged; several → Unified: <c>{"result":"ok"|"ng","detail":{"&lt;service&gt;":{"statusCode":…,"body":"…"}}}</c>
/// with status 200 when every service succeeded, 207 otherwise. On TCP/UDP the Unified form travels as the text
/// <c>&lt;status&gt; &lt;json&gt;</c>, like every other reply there.
/// </summary>
internal static class UnifiedReply
{
    // The default encoder writes every quote of a JSON body as \u0022 and every non-ASCII character escaped: valid,
    // but unreadable to a device that shows or matches the text. This JSON goes to a device, never into HTML, so only
    // what JSON itself requires is escaped (as in the LPWA bodies).
    private static readonly JsonWriterOptions s_options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The TCP/UDP bytes for a non-empty result (Auto rules).</summary>
    public static byte[] Text(PipelineResult result, byte[] endOfData)
    {
        if (result.Results.Count == 1)
        {
            return result.Results[0].NativeText;
        }

        var status = result.AllSucceeded ? 200 : 207;
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.ASCII.GetBytes(status.ToString(CultureInfo.InvariantCulture) + " "));
        WriteJson(result, buffer);
        buffer.Write(endOfData);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The Unified JSON object.</summary>
    public static void WriteJson(PipelineResult result, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        writer.WriteStartObject();
        writer.WriteString("result"u8, result.AllSucceeded ? "ok"u8 : "ng"u8);
        writer.WriteStartObject("detail"u8);
        foreach (var r in result.Results)
        {
            writer.WriteStartObject(r.Service);
            writer.WriteNumber("statusCode"u8, r.Status);
            writer.WriteString("body"u8, r.Failure ?? Encoding.UTF8.GetString(r.Body.Span));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
