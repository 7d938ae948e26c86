using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using Gateway.BinaryParser.Json;

namespace Gateway.BinaryParser.Custom;

/// <summary>A compiled custom format: a fixed list of fields decoded in order.</summary>
internal sealed class CustomFormatDecoder : BinaryDecoder
{
    // Char fields up to this many bytes are widened on the stack; longer ones borrow from the pool.
    private const int StackCharLimit = 256;

    // 2^53: every integer below it is exactly representable as a double.
    private const double MaxExactInteger = 9007199254740992.0;

    private const int PrefixBlock = 16;

    // The most the direct path asks the output for at once. A format whose longest object is longer (a char field of
    // megabytes, which no payload of a device fills) is decoded through the writer instead, which asks only for what
    // the payload's fields take: sizing by the format asked for 100 MB per message for char:100000000, and overflowed
    // for char:2147483647 (tests/tools/RandomInput found both).
    private const long MaxDirectObjectLength = 64 * 1024;

    // "binaryParserEnabled":true}
    private static readonly int ClosingLength = JsonText.BinaryParserEnabledLast.Length;

    // Integers below this (15 digits) divided by a power of ten are written by digits alone (Utf8Number.WriteDecimal).
    private const long MaxDecimalDigitsInteger = 1_000_000_000_000_000;

    // 10^0 … 10^15, the divisors FieldSpec.DecimalPlaces recognises.
    private static readonly double[] PowersOf10 =
    [
        1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];

    private readonly FieldSpec[] _fields;
    private readonly string[] _names;

    // Each field's "name": as the writer would write it, so the direct path copies it instead of encoding it again,
    // zero-padded to whole 16-byte blocks: a block is one vector move, where a copy of the exact length is a call.
    private readonly byte[][] _paddedPrefixes;
    private readonly int[] _prefixLengths;

    // The longest object any payload can give; the direct path asks the output for this much once. -1: no direct path.
    private readonly int _maxObjectLength;

    public CustomFormatDecoder(string format, FieldSpec[] fields)
        : base(format)
    {
        fields = Array.ConvertAll(fields, static f => f with { DecimalPlaces = DecimalPlacesOf(f) });
        _fields = fields;
        _names = Array.ConvertAll(fields, static f => f.Name);
        var prefixes = Array.ConvertAll(fields, static f => JsonText.PropertyPrefix(f.EncodedName));
        _prefixLengths = Array.ConvertAll(prefixes, static p => p.Length);
        _paddedPrefixes = Array.ConvertAll(prefixes, static p =>
        {
            var padded = new byte[(p.Length + PrefixBlock - 1) / PrefixBlock * PrefixBlock];
            p.CopyTo(padded, 0);
            return padded;
        });

        // { ... "binaryParserEnabled":true}, and room for the padding the last name block may write past its value.
        var length = 1L + ClosingLength + PrefixBlock;
        for (var i = 0; i < fields.Length; i++)
        {
            length += prefixes[i].Length + MaxValueLength(in fields[i]) + 1; // the value and its comma
        }

        _maxObjectLength = length <= MaxDirectObjectLength ? (int)length : -1;
    }

    public override IReadOnlyList<string> FieldNames => _names;

    internal ReadOnlySpan<FieldSpec> Fields => _fields;

    protected override DecodeResult WriteFieldsCore(ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        var written = 0;
        foreach (ref readonly var field in _fields.AsSpan())
        {
            // Each field stands alone: one that does not fit is left out, later ones that do fit are still written.
            if (field.LastByte >= payload.Length)
            {
                continue;
            }

            switch (field.Kind)
            {
                case FieldKind.Bool:
                    writer.WriteBoolean(field.EncodedName, ((payload[field.FirstByte] >> field.Shift) & 1) != 0);
                    break;
                case FieldKind.Int:
                case FieldKind.UInt:
                    WriteInteger(in field, payload, writer);
                    break;
                case FieldKind.Float32:
                case FieldKind.Float64:
                    WriteDouble(in field, ReadFloat(in field, payload), writer);
                    break;
                default:
                    WriteChars(in field, payload[field.FirstByte..(field.LastByte + 1)], writer);
                    break;
            }

            written++;
        }

        return new DecodeResult(written, _fields.Length - written);
    }

    private protected override bool TryWriteObject(ReadOnlySpan<byte> payload, IBufferWriter<byte> output, out DecodeResult result)
    {
        if (_maxObjectLength < 0)
        {
            result = default;
            return false;
        }

        var destination = output.GetSpan(_maxObjectLength);
        destination[0] = (byte)'{';
        var pos = 1;
        var written = 0;
        var fields = _fields;
        var prefixes = _paddedPrefixes;
        var prefixLengths = _prefixLengths;
        for (var i = 0; i < fields.Length; i++)
        {
            ref readonly var field = ref fields[i];
            if (field.LastByte >= payload.Length)
            {
                continue;
            }

            // The padding after the name lands where the value goes next and is overwritten by it.
            var prefix = prefixes[i];
            for (var offset = 0; offset < prefix.Length; offset += PrefixBlock)
            {
                Vector128.Create(prefix.AsSpan(offset)).CopyTo(destination[(pos + offset)..]);
            }

            pos += prefixLengths[i];
            var value = destination[pos..];
            switch (field.Kind)
            {
                case FieldKind.Bool:
                    // Two constant-length copies, each a move or two; one copy of either literal would be a call.
                    if (((payload[field.FirstByte] >> field.Shift) & 1) != 0)
                    {
                        "true"u8.CopyTo(value);
                        pos += 4;
                    }
                    else
                    {
                        "false"u8.CopyTo(value);
                        pos += 5;
                    }

                    break;
                case FieldKind.Int:
                case FieldKind.UInt:
                    pos += FormatInteger(in field, payload, value);
                    break;
                case FieldKind.Float32:
                case FieldKind.Float64:
                    pos += FormatNumber(in field, ReadFloat(in field, payload), value);
                    break;
                default:
                    var chars = payload[field.FirstByte..(field.LastByte + 1)];
                    if (!IsPlainAscii(chars))
                    {
                        // Escaping or Latin-1 widening: rare in device data, left to the writer, which defines it.
                        result = default;
                        return false;
                    }

                    value[0] = (byte)'"';
                    chars.CopyTo(value[1..]);
                    value[chars.Length + 1] = (byte)'"';
                    pos += chars.Length + 2;
                    break;
            }

            destination[pos++] = (byte)',';
            written++;
        }

        JsonText.BinaryParserEnabledLast.CopyTo(destination[pos..]);
        output.Advance(pos + ClosingLength);
        result = new DecodeResult(written, fields.Length - written);
        return true;
    }

    /// <summary>Reads the field's bits as an unsigned number, zero-extended to 64 bits.</summary>
    internal static ulong ReadBits(in FieldSpec field, ReadOnlySpan<byte> payload)
    {
        var bytes = payload[field.FirstByte..(field.LastByte + 1)];
        ulong raw;
        if (field.LittleEndian)
        {
            raw = 0;
            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                raw = (raw << 8) | bytes[i];
            }

            return raw; // whole bytes only, so nothing to mask
        }

        if (bytes.Length <= 8)
        {
            ulong acc = 0;
            foreach (var b in bytes)
            {
                acc = (acc << 8) | b;
            }

            raw = acc >> field.Shift;
        }
        else
        {
            // 64 bits starting inside a byte span nine bytes.
            UInt128 acc = 0;
            foreach (var b in bytes)
            {
                acc = (acc << 8) | b;
            }

            raw = (ulong)(acc >> field.Shift);
        }

        return field.BitLength == 64 ? raw : raw & ((1UL << field.BitLength) - 1);
    }

    private static double ReadFloat(in FieldSpec field, ReadOnlySpan<byte> payload)
    {
        if (field.Kind == FieldKind.Float32)
        {
            var bytes32 = payload.Slice(field.FirstByte, 4);
            return field.LittleEndian ? BinaryPrimitives.ReadSingleLittleEndian(bytes32) : BinaryPrimitives.ReadSingleBigEndian(bytes32);
        }

        var bytes64 = payload.Slice(field.FirstByte, 8);
        return field.LittleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes64) : BinaryPrimitives.ReadDoubleBigEndian(bytes64);
    }

    private static void WriteInteger(in FieldSpec field, ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        if (field.Operations.Length == 0)
        {
            // Without arithmetic the value is written exactly, even beyond 2^53 where a double would round it.
            var raw = ReadBits(in field, payload);
            if (field.Kind == FieldKind.Int)
            {
                writer.WriteNumber(field.EncodedName, SignExtend(in field, raw));
            }
            else
            {
                writer.WriteNumber(field.EncodedName, raw);
            }

            return;
        }

        WriteDouble(in field, ReadIntegerAsDouble(in field, payload), writer);
    }

    private static void WriteDouble(in FieldSpec field, double value, Utf8JsonWriter writer)
    {
        Span<byte> text = stackalloc byte[Utf8Number.MaxDoubleLength];
        var length = FormatNumber(in field, value, text);
        writer.WritePropertyName(field.EncodedName);
        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    /// <summary>The direct path's <see cref="WriteInteger"/>: the same text into <paramref name="destination"/>.</summary>
    private static int FormatInteger(in FieldSpec field, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (field.Operations.Length == 0)
        {
            var raw = ReadBits(in field, payload);
            return field.Kind == FieldKind.Int
                ? Utf8Number.WriteInt64(SignExtend(in field, raw), destination)
                : Utf8Number.WriteUInt64(raw, destination);
        }

        if (field.DecimalPlaces > 0)
        {
            // x/100 of an integer x below 10^15 is x's digits with a point; an integral result takes the usual path.
            var raw = ReadBits(in field, payload);
            var integer = field.Kind == FieldKind.Int ? SignExtend(in field, raw) : (long)Math.Min(raw, long.MaxValue);
            if (integer > -MaxDecimalDigitsInteger && integer < MaxDecimalDigitsInteger && integer % (long)PowersOf10[field.DecimalPlaces] != 0)
            {
                return Utf8Number.WriteDecimal(integer, field.DecimalPlaces, destination);
            }
        }

        return FormatNumber(in field, ReadIntegerAsDouble(in field, payload), destination);
    }

    private static int DecimalPlacesOf(in FieldSpec field)
    {
        if (field.Kind is not (FieldKind.Int or FieldKind.UInt) || field.Operations is not [{ Operator: '/', Operand: var divisor }])
        {
            return 0;
        }

        var places = Array.IndexOf(PowersOf10, divisor);
        return places > 0 ? places : 0;
    }

    private static double ReadIntegerAsDouble(in FieldSpec field, ReadOnlySpan<byte> payload)
    {
        var raw = ReadBits(in field, payload);
        return field.Kind == FieldKind.Int ? SignExtend(in field, raw) : raw;
    }

    private static long SignExtend(in FieldSpec field, ulong raw)
    {
        var length = field.BitLength;
        return length < 64 && (raw >> (length - 1)) != 0 ? (long)(raw | (ulong.MaxValue << length)) : (long)raw;
    }

    /// <summary>
    /// Applies the field's operations and writes the result as JSON: <c>null</c> when not finite (JSON has no NaN or
    /// Infinity), an integer when integral and exact, else shortest round-trip.
    /// </summary>
    /// <returns>Bytes written; <paramref name="destination"/> must hold <see cref="Utf8Number.MaxDoubleLength"/>.</returns>
    private static int FormatNumber(in FieldSpec field, double value, Span<byte> destination)
    {
        foreach (var operation in field.Operations)
        {
            value = operation.Apply(value);
        }

        if (!double.IsFinite(value))
        {
            "null"u8.CopyTo(destination);
            return 4;
        }

        // Integral results are common (scaled integers, "x/100" of a multiple of 100) and below 2^53 print the same as
        // a long, which is cheaper than the shortest-digits search. -0 prints as 0.
        if (value == Math.Truncate(value) && Math.Abs(value) < MaxExactInteger)
        {
            return Utf8Number.WriteInt64((long)value, destination);
        }

        return Utf8Number.WriteDouble(value, destination);
    }

    private static long MaxValueLength(in FieldSpec field) => field.Kind switch
    {
        FieldKind.Bool => 5, // false
        FieldKind.Char => (long)field.LastByte - field.FirstByte + 1 + 2, // plain ASCII in quotes; anything else goes to the writer
        _ => Math.Max(Utf8Number.MaxDoubleLength, Utf8Number.MaxIntegerLength),
    };

    // Bytes the writer would copy unchanged between quotes: printable ASCII other than the quote and the backslash.
    private static bool IsPlainAscii(ReadOnlySpan<byte> bytes) =>
        Ascii.IsValid(bytes) && JsonText.Encoder.FindFirstCharacterToEncodeUtf8(bytes) < 0;

    /// <summary>One byte is one character: ASCII as is, other bytes as the Latin-1 character of the same value.</summary>
    private static void WriteChars(in FieldSpec field, ReadOnlySpan<byte> bytes, Utf8JsonWriter writer)
    {
        if (Ascii.IsValid(bytes))
        {
            writer.WriteString(field.EncodedName, bytes); // ASCII is already UTF-8
            return;
        }

        char[]? rented = null;
        var chars = bytes.Length <= StackCharLimit
            ? stackalloc char[StackCharLimit]
            : (rented = ArrayPool<char>.Shared.Rent(bytes.Length));
        try
        {
            var count = Encoding.Latin1.GetChars(bytes, chars);
            writer.WriteString(field.EncodedName, chars[..count]);
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
