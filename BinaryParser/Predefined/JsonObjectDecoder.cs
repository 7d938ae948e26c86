using System.Buffers;
using System.Text.Json;

namespace Gateway.BinaryParser.Predefined;

/// <summary>
/// <c>@json</c> and <c>@gpsmultiunit</c>: the payload is a JSON object in UTF-8 (GPS Multi-unit sends JSON text), and
/// its properties become the fields.
/// </summary>
/// <remarks>
/// <para>
/// Top-level numbers are re-serialised the way SORACOM's output shows (<c>35.0</c> becomes <c>35</c>, integers stay
/// exact); strings, and nested objects and arrays, are copied as sent. A property named <c>binaryParserEnabled</c>
/// is dropped so the output has that key once. A leading byte-order mark, surrounding whitespace and trailing NUL
/// bytes (C strings) are ignored.
/// </para>
/// <para>
/// A payload that is not a single JSON object produces no fields and counts as one omitted field. The payload is
/// checked completely before anything is written, so a broken payload never leaves half an object in the output.
/// </para>
/// </remarks>
internal sealed class JsonObjectDecoder(string name) : BinaryDecoder(name)
{
    private const int StackNameLimit = 256;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    public override IReadOnlyList<string> FieldNames => [];

    protected override DecodeResult WriteFieldsCore(ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        payload = Trim(payload);
        if (!IsSingleObject(payload))
        {
            return new DecodeResult(0, 1);
        }

        var reader = new Utf8JsonReader(payload, ReaderOptions);
        reader.Read(); // StartObject
        var written = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("binaryParserEnabled"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            WritePropertyName(ref reader, writer);
            reader.Read();
            WriteValue(ref reader, payload, writer);
            written++;
        }

        return new DecodeResult(written, 0);
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> payload)
    {
        if (payload.StartsWith("\uFEFF"u8))
        {
            payload = payload[3..];
        }

        return payload.TrimEnd((byte)0);
    }

    /// <summary>
    /// Reads the whole payload once. Property names are unescaped here too, so the copying pass cannot fail on an
    /// escape that is valid JSON syntax but not a valid string (a lone surrogate).
    /// </summary>
    private static bool IsSingleObject(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            Span<byte> scratch = stackalloc byte[StackNameLimit];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped)
                {
                    var rented = reader.ValueSpan.Length > StackNameLimit ? ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length) : null;
                    try
                    {
                        reader.CopyString(rented ?? scratch);
                    }
                    finally
                    {
                        if (rented is not null)
                        {
                            ArrayPool<byte>.Shared.Return(rented);
                        }
                    }
                }

                reader.Read();
                reader.Skip();
            }

            // Nothing may follow the object.
            return reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0 && !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Only broken payloads get here; the exception is the reader's one way of saying so.
            return false;
        }
    }

    private static void WritePropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.ValueSpan);
            return;
        }

        var length = reader.ValueSpan.Length;
        var rented = length > StackNameLimit ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> buffer = rented ?? stackalloc byte[StackNameLimit];
        try
        {
            var count = reader.CopyString(buffer);
            writer.WritePropertyName(buffer[..count]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void WriteValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer))
                {
                    writer.WriteNumberValue(integer);
                }
                else if (reader.TryGetUInt64(out var unsigned))
                {
                    writer.WriteNumberValue(unsigned);
                }
                else if (reader.TryGetDouble(out var number) && double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); // beyond double range: keep the text
                }

                break;
            case JsonTokenType.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonTokenType.False:
                writer.WriteBooleanValue(false);
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            case JsonTokenType.String:
                // The raw token, quotes included: already valid JSON, and copying it avoids unescaping and re-escaping.
                var start = (int)reader.TokenStartIndex;
                writer.WriteRawValue(payload.Slice(start, reader.ValueSpan.Length + 2), skipInputValidation: true);
                break;
            default:
                var from = (int)reader.TokenStartIndex;
                reader.Skip(); // now on the matching end token, which is one byte long
                writer.WriteRawValue(payload[from..((int)reader.TokenStartIndex + 1)], skipInputValidation: true);
                break;
        }
    }
}
