using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Gateway.Pipeline;

namespace Gateway.Funnel;

/// <summary>
/// Writes SORACOM Funnel's envelope (spec §3.3) in the key order of the spec's concrete example:
/// <c>credentialsId</c> (when set), <c>operatorId</c>, <c>destination</c>, <c>sourceProtocol</c>, <c>payloads</c>,
/// <c>timestamp</c> (Unix ms), <c>imsi</c>, <c>imei</c> (when known), <c>simId</c> (with <c>addSimId</c>, when known);
/// then the gateway's additions: <c>messageId</c> (unique per message, the same on every retry, so a consumer can
/// drop duplicates) and, for MQTT messages, <c>topic</c> and <c>qos</c>. With <c>payloadsOnly</c> only the payloads
/// value is written. Non-ASCII text is written as UTF-8, not as <c>\u</c> escapes.
/// </summary>
internal static class FunnelEnvelope
{
    public const string InvalidJson = "Invalid JSON is send to funnel.";

    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonDocumentOptions s_parse = new() { MaxDepth = 64 };

    /// <summary>Writes the body for <paramref name="message"/>; false when the content type says JSON and the bytes are not.</summary>
    public static bool TryWrite(IBufferWriter<byte> output, FunnelGroupConfig config, DeviceMessage message, string operatorId, string? credentialsId, string messageId)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        if (config.PayloadsOnly)
        {
            return TryWritePayloads(writer, config, message);
        }

        writer.WriteStartObject();
        if (credentialsId is not null)
        {
            writer.WriteString("credentialsId"u8, credentialsId);
        }

        writer.WriteString("operatorId"u8, operatorId);
        writer.WritePropertyName("destination"u8);
        writer.WriteRawValue(config.DestinationJson, skipInputValidation: true);
        writer.WriteString("sourceProtocol"u8, SourceProtocols.Name(message.Protocol));
        writer.WritePropertyName("payloads"u8);
        if (!TryWritePayloads(writer, config, message))
        {
            return false;
        }

        writer.WriteNumber("timestamp"u8, message.ReceivedAtMs);
        WriteIdentity(writer, config, message);
        writer.WriteString("messageId"u8, messageId);
        if (message.Protocol == SourceProtocol.Mqtt)
        {
            if (message.Topic is not null)
            {
                writer.WriteString("topic"u8, message.Topic);
            }

            if (message.Qos is { } qos)
            {
                writer.WriteNumber("qos"u8, qos);
            }
        }

        writer.WriteEndObject();
        return true;
    }

    /// <summary>An anonymous device (a group's address range, no SIM) has no IMSI, IMEI or SIM ID to write.</summary>
    private static void WriteIdentity(Utf8JsonWriter writer, FunnelGroupConfig config, DeviceMessage message)
    {
        var subscriber = message.Subscriber;
        if (subscriber.IsAnonymous)
        {
            return;
        }

        writer.WriteString("imsi"u8, subscriber.Imsi);
        if (message.Device.Imei is { } imei)
        {
            writer.WriteString("imei"u8, imei);
        }

        if (config.AddSimId && subscriber.SimId is { } simId)
        {
            writer.WriteString("simId"u8, simId);
        }
    }

    private static bool TryWritePayloads(Utf8JsonWriter writer, FunnelGroupConfig config, DeviceMessage message)
    {
        if (message.Json is { Length: > 0 } parsed)
        {
            // The binary parser's object (or an LPWA uplink object), whatever the content type says.
            writer.WriteRawValue(parsed.Span, skipInputValidation: true);
            return true;
        }

        switch (KindOf(config.ContentType, message))
        {
            case FunnelContentType.Json:
                try
                {
                    using var document = JsonDocument.Parse(message.Payload, s_parse);
                    document.RootElement.WriteTo(writer);
                    return true;
                }
                catch (JsonException)
                {
                    return false;
                }

            case FunnelContentType.Text:
                var text = message.Payload.Span;
                if (Utf8.IsValid(text))
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    writer.WriteStringValue(Encoding.UTF8.GetString(text));
                }

                return true;
            default:
                writer.WriteBase64StringValue(message.Payload.Span);
                return true;
        }
    }

    /// <summary>
    /// How the bytes are read: as configured; <c>unspecified</c> means by the request's Content-Type over HTTP
    /// (JSON, text and XML as such, anything else binary) and binary everywhere else.
    /// </summary>
    public static FunnelContentType KindOf(FunnelContentType configured, DeviceMessage message)
    {
        if (configured == FunnelContentType.BinaryFormatV1)
        {
            return FunnelContentType.Binary;
        }

        if (configured != FunnelContentType.Unspecified)
        {
            return configured;
        }

        if (message.Protocol != SourceProtocol.Http || message.ContentType is not { } contentType)
        {
            return FunnelContentType.Binary;
        }

        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        media = (semicolon >= 0 ? media[..semicolon] : media).Trim();
        if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            return FunnelContentType.Json;
        }

        return media.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            ? FunnelContentType.Text
            : FunnelContentType.Binary;
    }
}
