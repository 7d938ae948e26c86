using System.Buffers;
using System.Text.Json;

namespace Gateway.BinaryParser;

/// <summary>
/// A compiled binary parser format: turns payload bytes into the JSON SORACOM's binary parser produces. Obtain one
/// from <see cref="BinaryFormat.Compile(string)"/> when the configuration loads and reuse it for every message; it is
/// immutable and safe to use from many threads at once.
/// </summary>
/// <remarks>
/// <para>
/// Output is a flat JSON object: the parsed fields in format order, then <c>"binaryParserEnabled": true</c>.
/// Numbers are written in shortest round-trip form (an integral result has no fractional part); a result that is
/// NaN or infinite (division by zero, a NaN float in the payload) is written as <c>null</c>.
/// </para>
/// <para>
/// A payload shorter than the format is not an error: every field whose bytes are all present is written, every
/// other field is left out, <see cref="DecodeResult.FieldsOmitted"/> says how many, and the counter
/// <c>binaryparser.fields_omitted</c> of the meter <c>Gateway.BinaryParser</c> is incremented by the same number.
/// Decoding never throws for any payload; exceptions come only from a misused <see cref="Utf8JsonWriter"/>.
/// </para>
/// <para>
/// Decoding allocates nothing beyond what the output buffer itself asks for: the writer used by
/// <see cref="Decode(ReadOnlySpan{byte}, IBufferWriter{byte})"/> is cached per thread, property names are encoded
/// once at compile time, and payload bytes are read in place.
/// </para>
/// </remarks>
public abstract class BinaryDecoder
{
    private static readonly JsonEncodedText BinaryParserEnabled = JsonText.Encode("binaryParserEnabled");

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JsonText.Encoder };

    // Lets the cached writer drop its reference to the caller's buffer between calls.
    private static readonly ArrayBufferWriter<byte> Detached = new(1);

    [ThreadStatic]
    private static Utf8JsonWriter? _cachedWriter;

    /// <summary>Creates a decoder for the given format text.</summary>
    /// <param name="format">The format string (or predefined format name) this decoder was made from.</param>
    protected BinaryDecoder(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        Format = format;
    }

    /// <summary>The format string, or the predefined format name, this decoder was made from.</summary>
    public string Format { get; }

    /// <summary>
    /// The names of the fields this decoder can write, in output order. Empty when the names depend on the payload
    /// (<c>@json</c>). Useful for checking a format against <see cref="ReservedFieldNames"/>.
    /// </summary>
    public abstract IReadOnlyList<string> FieldNames { get; }

    /// <summary>
    /// Decodes <paramref name="payload"/> into a complete JSON object (fields, then <c>"binaryParserEnabled": true</c>)
    /// written to <paramref name="output"/>.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <param name="output">Receives the UTF-8 JSON text.</param>
    /// <returns>How many fields were written and how many did not fit in the payload.</returns>
    public DecodeResult Decode(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        if (TryWriteObject(payload, output, out var direct))
        {
            CountOmitted(direct);
            return direct;
        }

        // Taken out of the slot while in use so that a decoder that decodes recursively gets a writer of its own.
        var writer = _cachedWriter;
        _cachedWriter = null;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output, WriterOptions);
        }
        else
        {
            writer.Reset(output);
        }

        try
        {
            var result = Decode(payload, writer);
            writer.Flush();
            return result;
        }
        finally
        {
            writer.Reset(Detached);
            _cachedWriter = writer;
        }
    }

    /// <summary>
    /// Decodes <paramref name="payload"/> into a complete JSON object (fields, then <c>"binaryParserEnabled": true</c>)
    /// written as the next value of <paramref name="writer"/>. The writer is not flushed.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <param name="writer">Where the object is written; it must be at a place where a value may start.</param>
    /// <returns>How many fields were written and how many did not fit in the payload.</returns>
    public DecodeResult Decode(ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        var result = WriteFields(payload, writer);
        writer.WriteBoolean(BinaryParserEnabled, true);
        writer.WriteEndObject();
        return result;
    }

    /// <summary>
    /// Writes the decoded fields as properties of the object <paramref name="writer"/> is currently inside, without
    /// braces and without <c>binaryParserEnabled</c>. This is how the fields are merged into a message that has
    /// properties of its own (Sigfox and LoRaWAN bodies); the caller writes <c>"binaryParserEnabled": true</c> after
    /// them.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <param name="writer">A writer positioned inside an object, where a property name may be written.</param>
    /// <returns>How many fields were written and how many did not fit in the payload.</returns>
    public DecodeResult WriteFields(ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var result = WriteFieldsCore(payload, writer);
        CountOmitted(result);
        return result;
    }

    /// <summary>
    /// Decodes <paramref name="payload"/> to a JSON string. Allocates; meant for tools and tests, not the message path.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <returns>The JSON object as text.</returns>
    public string DecodeToString(ReadOnlySpan<byte> payload) => DecodeToString(payload, out _);

    /// <summary>
    /// Decodes <paramref name="payload"/> to a JSON string and reports what was left out. Allocates; meant for tools
    /// and tests, not the message path.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <param name="result">How many fields were written and how many did not fit in the payload.</param>
    /// <returns>The JSON object as text.</returns>
    public string DecodeToString(ReadOnlySpan<byte> payload, out DecodeResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        result = Decode(payload, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes the fields of <paramref name="payload"/> as properties into <paramref name="writer"/>. Must not throw for
    /// any payload, and must leave out (and count) fields the payload is too short for.
    /// </summary>
    /// <param name="payload">The device's bytes.</param>
    /// <param name="writer">A writer positioned inside an object.</param>
    /// <returns>How many fields were written and how many were left out.</returns>
    protected abstract DecodeResult WriteFieldsCore(ReadOnlySpan<byte> payload, Utf8JsonWriter writer);

    /// <summary>
    /// Writes the whole object (fields, then <c>"binaryParserEnabled": true</c>) straight into the memory of
    /// <paramref name="output"/>, byte for byte what the <see cref="Utf8JsonWriter"/> path writes. This is the message
    /// path's fast lane: the writer checks and escapes every property name again on each write and formats numbers
    /// slowly, while a compiled decoder knows its names, already escaped, and the longest text a payload can give.
    /// </summary>
    /// <returns>
    /// <see langword="false"/>, with nothing advanced, when this decoder (or this payload) needs the writer; the
    /// caller then decodes through <see cref="WriteFieldsCore"/>.
    /// </returns>
    private protected virtual bool TryWriteObject(ReadOnlySpan<byte> payload, IBufferWriter<byte> output, out DecodeResult result)
    {
        result = default;
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => Format;

    private static void CountOmitted(DecodeResult result)
    {
        if (result.FieldsOmitted > 0)
        {
            BinaryParserMetrics.FieldsOmitted.Add(result.FieldsOmitted);
        }
    }
}
