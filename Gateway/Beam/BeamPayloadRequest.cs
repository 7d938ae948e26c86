using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Pipeline;

namespace Gateway.Beam;

/// <summary>
/// TCP/UDP→HTTP: Beam's upstream request for a device message, <c>POST {"payload":"&lt;base64&gt;"}</c> (or the
/// group's binary-parser JSON in its place, as SORACOM does) with <c>User-Agent: SORACOM Beam</c> and
/// <c>Content-Type: application/json</c>, plus the group's headers.
/// </summary>
internal static class BeamPayloadRequest
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    public static HttpRequestMessage Create(BeamEntry entry, BeamGroupConfig config, DeviceMessage message)
    {
        var body = message.Json ?? Wrap(message.Payload.Span);
        var request = new HttpRequestMessage(HttpMethod.Post, entry.Destination) { Version = System.Net.HttpVersion.Version11 };
        request.Content = new ReadOnlyMemoryContent(body);
        request.Content.Headers.ContentType = s_json;
        request.Headers.TryAddWithoutValidation("User-Agent", "SORACOM Beam");
        BeamHeaders.Apply(request, entry, config, message.Device, message.ReceivedAtMs, body.Span);
        return request;
    }

    private static ReadOnlyMemory<byte> Wrap(ReadOnlySpan<byte> payload)
    {
        var body = new ArrayBufferWriter<byte>(payload.Length * 4 / 3 + 64);
        using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteBase64String("payload"u8, payload);
        writer.WriteEndObject();
        writer.Flush();
        return body.WrittenMemory;
    }
}
