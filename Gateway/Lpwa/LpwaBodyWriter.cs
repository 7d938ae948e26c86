using System.Buffers;
using System.Text.Json;
using Gateway.BinaryParser;

namespace Gateway.Lpwa;

/// <summary>
/// The JSON bodies Beam POSTs upstream for LPWA uplinks, written straight to a buffer. The group's binary parser
/// fields follow the message's own fields in the same object, then <c>"binaryParserEnabled": true</c>, as SORACOM
/// does for Sigfox (spec §10, §11).
/// </summary>
internal static class LpwaBodyWriter
{
    // Values the network server sent (operator names, gateway IDs) go upstream as readable text: this is a JSON body,
    // never embedded in HTML, so only what JSON itself requires is escaped.
    private static readonly JsonWriterOptions s_options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The LoRaWAN body. SORACOM does not publish its LoRaWAN body, so the gateway defines one in the style of its
    /// Sigfox body, with numbers as numbers:
    /// <code>
    /// {"deviceId":"0123456789abcdef","time":1721300000123,"data":"895c2fb3","fPort":2,"fCnt":17,
    ///  "rssi":-36,"snr":10.5,"gatewayId":"0016c001f153a14c", …parser fields…, "binaryParserEnabled":true}
    /// </code>
    /// <c>deviceId</c> is the DevEUI in lowercase hex (as the registry stores <c>loraDeviceId</c>); <c>time</c> is when
    /// the network server received the frame, in Unix milliseconds (the gateway's clock when the network server did
    /// not say); <c>data</c> is the FRMPayload in lowercase hex (empty for a frame without one); <c>fPort</c> and
    /// <c>fCnt</c> are the frame's port and uplink counter; <c>rssi</c> (dBm), <c>snr</c> (dB) and <c>gatewayId</c>
    /// (the gateway EUI in lowercase hex, or the network server's gateway ID when it has no EUI) describe the
    /// gateway that heard the frame best, and are left out when the network server sent no receive metadata.
    /// </summary>
    public static void WriteLora(LoraUplink uplink, BinaryDecoder? parser, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        writer.WriteStartObject();
        writer.WriteString("deviceId"u8, uplink.DevEui);
        writer.WriteNumber("time"u8, uplink.TimeMs);
        WriteHex(writer, uplink.Payload);
        writer.WriteNumber("fPort"u8, uplink.FPort);
        writer.WriteNumber("fCnt"u8, uplink.FCnt);
        if (uplink.Rssi is { } rssi)
        {
            writer.WriteNumber("rssi"u8, rssi);
        }

        if (uplink.Snr is { } snr)
        {
            writer.WriteNumber("snr"u8, snr);
        }

        if (uplink.GatewayId is { } gateway)
        {
            writer.WriteString("gatewayId"u8, gateway);
        }

        WriteParsed(writer, parser, uplink.Payload);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The Sigfox body of spec §10: <c>device</c>, <c>time</c> (Unix seconds), <c>data</c> (hex), <c>seqNumber</c>,
    /// <c>lqi</c>, <c>operatorName</c>, <c>countryCode</c>, all strings exactly as the Sigfox backend sent them, in
    /// that order; fields the callback left out are left out here too. Parser fields follow.
    /// </summary>
    public static void WriteSigfox(SigfoxCallback callback, BinaryDecoder? parser, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        writer.WriteStartObject();
        writer.WriteString("device"u8, callback.Device);
        Optional(writer, "time"u8, callback.Time);
        writer.WriteString("data"u8, callback.Data);
        Optional(writer, "seqNumber"u8, callback.SeqNumber);
        Optional(writer, "lqi"u8, callback.Lqi);
        Optional(writer, "operatorName"u8, callback.OperatorName);
        Optional(writer, "countryCode"u8, callback.CountryCode);
        WriteParsed(writer, parser, callback.Payload);
        writer.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteParsed(Utf8JsonWriter writer, BinaryDecoder? parser, ReadOnlySpan<byte> payload)
    {
        if (parser is not null)
        {
            parser.WriteFields(payload, writer);
            writer.WriteBoolean("binaryParserEnabled"u8, true);
        }
    }

    private static void WriteHex(Utf8JsonWriter writer, ReadOnlySpan<byte> payload)
    {
        // LoRaWAN payloads are at most a few hundred bytes, so the hex fits on the stack.
        const int StackLimit = 512;
        var length = payload.Length * 2;
        var rented = length > StackLimit ? ArrayPool<char>.Shared.Rent(length) : null;
        var hex = (rented ?? stackalloc char[StackLimit])[..length];
        try
        {
            Convert.TryToHexStringLower(payload, hex, out _);
            writer.WriteString("data"u8, hex);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
