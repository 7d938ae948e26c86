using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Pipeline;

/// <summary>
/// Renders a pipeline's results for the device in SORACOM's unified-endpoint formats (<see cref="UnifiedResponseFormat"/>).
/// Auto (the default): one service → its own reply unchanged; several → Unified:
/// <c>{"result":"ok"|"ng","detail":{"&lt;service&gt;":{"statusCode":…,"body":"…"}}}</c> with status 200 when every
/// service succeeded, 207 otherwise. A named service: that service's own reply, whatever the others made of the
/// message. On TCP/UDP the Unified form travels as the text <c>&lt;status&gt; &lt;json&gt;</c> followed by the entry
/// point's end-of-data bytes, like every other reply there (<c>200 {"result":"ok",…}</c>), so a device that tests
/// <c>reply[0] == '2'</c> keeps working; over HTTP it is the response body (<c>application/json</c>) with that status.
/// </summary>
internal static class UnifiedReply
{
    // The default encoder writes every quote of a JSON body as \u0022 and every non-ASCII character escaped: valid,
    // but unreadable to a device that shows or matches the text. This JSON goes to a device, never into HTML, so only
    // what JSON itself requires is escaped (as in the LPWA bodies).
    private static readonly JsonWriterOptions s_options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The TCP/UDP bytes for a non-empty result (Auto rules).</summary>
    public static byte[] Text(PipelineResult result, byte[] endOfData) => Text(result, endOfData, UnifiedResponseFormat.Auto);

    /// <summary>The TCP/UDP bytes for a non-empty result in the group's <paramref name="format"/>.</summary>
    public static byte[] Text(PipelineResult result, byte[] endOfData, UnifiedResponseFormat format)
    {
        var native = NativeReply(result, format, endOfData);
        if (native is not null)
        {
            return native.NativeText;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.ASCII.GetBytes(Status(result).ToString(CultureInfo.InvariantCulture) + " "));
        WriteJson(result, buffer);
        buffer.Write(endOfData);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The one service's own reply the device gets in <paramref name="format"/>, or null when it gets the Unified form.
    /// A named service that did not take the message (the group does not enable it for this protocol) answers with a
    /// gateway-made 404 saying so, in that service's form, rather than switching the device to another format.
    /// </summary>
    public static ServiceResult? NativeReply(PipelineResult result, UnifiedResponseFormat format, byte[]? endOfData = null)
    {
        if (format.Service is { } name)
        {
            foreach (var r in result.Results)
            {
                if (r.Service == name)
                {
                    return r;
                }
            }

            return NotEnabled(name, endOfData ?? []);
        }

        return !format.AlwaysUnified && result.Results.Count == 1 ? result.Results[0] : null;
    }

    /// <summary>The Unified form's status: 200 when every service succeeded, 207 (SORACOM's "ng") otherwise.</summary>
    public static int Status(PipelineResult result) => result.AllSucceeded ? 200 : 207;

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

    private static ServiceResult NotEnabled(string service, byte[] endOfData)
    {
        var reason = $"{service} is not enabled for this device's group";
        return new ServiceResult
        {
            Service = service,
            Status = 404,
            Body = Encoding.UTF8.GetBytes(reason),
            Failure = reason,
            NativeText = [.. Encoding.UTF8.GetBytes("404 " + reason), .. endOfData],
            NativeContentType = "text/plain; charset=utf-8",
        };
    }
}
