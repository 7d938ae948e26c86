using System.Buffers;
using System.Text.Json;
using Gateway.BinaryParser.Json;

namespace Gateway.BinaryParser.Predefined;

/// <summary>
/// <c>@button</c>: the SORACOM LTE-M Button for Enterprise / Plus. The device sends four bytes: <c>0x4D</c>, the click
/// type (1 single, 2 double, 3 long), the battery index 0..3, and a checksum.
/// </summary>
/// <remarks>
/// The marker and checksum are not checked: they protect the transport, and SORACOM publishes no rule for a
/// mismatch, so the values are decoded as sent. <c>batteryLevel</c> is <c>(index + 1) / 4</c>, which gives the
/// 0.25/0.5/0.75/1 steps the button's simulator shows. An unknown click type has a <c>null</c> name.
/// </remarks>
internal sealed class ButtonDecoder(string name) : BinaryDecoder(name)
{
    private static readonly JsonEncodedText ClickType = JsonText.Encode("clickType");
    private static readonly JsonEncodedText ClickTypeName = JsonText.Encode("clickTypeName");
    private static readonly JsonEncodedText BatteryLevel = JsonText.Encode("batteryLevel");
    private static readonly JsonEncodedText Single = JsonText.Encode("SINGLE");
    private static readonly JsonEncodedText Double = JsonText.Encode("DOUBLE");
    private static readonly JsonEncodedText Long = JsonText.Encode("LONG");
    private static readonly string[] Names = ["clickType", "clickTypeName", "batteryLevel"];

    // The direct path's pieces, each with the punctuation around it, so a decode is a few copies.
    private static ReadOnlySpan<byte> ClickTypePrefix => "{\"clickType\":"u8;
    private static ReadOnlySpan<byte> SingleName => ",\"clickTypeName\":\"SINGLE\","u8;
    private static ReadOnlySpan<byte> DoubleName => ",\"clickTypeName\":\"DOUBLE\","u8;
    private static ReadOnlySpan<byte> LongName => ",\"clickTypeName\":\"LONG\","u8;
    private static ReadOnlySpan<byte> NullName => ",\"clickTypeName\":null,"u8;
    private static ReadOnlySpan<byte> BatteryLevelPrefix => "\"batteryLevel\":"u8;

    // {"clickType":255,"clickTypeName":"DOUBLE","batteryLevel":64,"binaryParserEnabled":true} is 87.
    private const int MaxObjectLength = 128;

    public override IReadOnlyList<string> FieldNames => Names;

    private protected override bool TryWriteObject(ReadOnlySpan<byte> payload, IBufferWriter<byte> output, out DecodeResult result)
    {
        var destination = output.GetSpan(MaxObjectLength);
        var pos = 0;
        var written = 0;
        if (payload.Length > 1)
        {
            var click = payload[1];
            ClickTypePrefix.CopyTo(destination);
            pos = ClickTypePrefix.Length;
            pos += Utf8Number.WriteUInt64(click, destination[pos..]);
            var name = click switch
            {
                1 => SingleName,
                2 => DoubleName,
                3 => LongName,
                _ => NullName,
            };
            name.CopyTo(destination[pos..]);
            pos += name.Length;
            written += 2;
        }
        else
        {
            destination[pos++] = (byte)'{';
        }

        if (payload.Length > 2)
        {
            BatteryLevelPrefix.CopyTo(destination[pos..]);
            pos += BatteryLevelPrefix.Length;
            // (index + 1) / 4 in quarters: the same text as the double, without a digit search.
            var quarters = payload[2] + 1;
            pos += quarters % 4 == 0
                ? Utf8Number.WriteInt64(quarters / 4, destination[pos..])
                : Utf8Number.WriteDecimal(quarters * 25, 2, destination[pos..]);
            destination[pos++] = (byte)',';
            written++;
        }

        JsonText.BinaryParserEnabledLast.CopyTo(destination[pos..]);
        output.Advance(pos + JsonText.BinaryParserEnabledLast.Length);
        result = new DecodeResult(written, Names.Length - written);
        return true;
    }

    protected override DecodeResult WriteFieldsCore(ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        var written = 0;
        if (payload.Length > 1)
        {
            var click = payload[1];
            writer.WriteNumber(ClickType, click);
            switch (click)
            {
                case 1:
                    writer.WriteString(ClickTypeName, Single);
                    break;
                case 2:
                    writer.WriteString(ClickTypeName, Double);
                    break;
                case 3:
                    writer.WriteString(ClickTypeName, Long);
                    break;
                default:
                    writer.WriteNull(ClickTypeName);
                    break;
            }

            written += 2;
        }

        if (payload.Length > 2)
        {
            writer.WriteNumber(BatteryLevel, (payload[2] + 1) / 4.0);
            written++;
        }

        return new DecodeResult(written, Names.Length - written);
    }
}
