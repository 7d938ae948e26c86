using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Gateway.BinaryParser.Custom;

/// <summary>A compiled custom format: a fixed list of fields decoded in order.</summary>
internal sealed class CustomFormatDecoder : BinaryDecoder
{
    // Char fields up to this many bytes are widened on the stack; longer ones borrow from the pool.
    private const int StackCharLimit = 256;

    // 2^53: every integer below it is exactly representable as a double.
    private const double MaxExactInteger = 9007199254740992.0;

    private readonly FieldSpec[] _fields;
    private readonly string[] _names;

    public CustomFormatDecoder(string format, FieldSpec[] fields)
        : base(format)
    {
        _fields = fields;
        _names = Array.ConvertAll(fields, static f => f.Name);
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
                    var bytes32 = payload.Slice(field.FirstByte, 4);
                    float single = field.LittleEndian ? BinaryPrimitives.ReadSingleLittleEndian(bytes32) : BinaryPrimitives.ReadSingleBigEndian(bytes32);
                    WriteDouble(in field, single, writer);
                    break;
                case FieldKind.Float64:
                    var bytes64 = payload.Slice(field.FirstByte, 8);
                    WriteDouble(in field, field.LittleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes64) : BinaryPrimitives.ReadDoubleBigEndian(bytes64), writer);
                    break;
                default:
                    WriteChars(in field, payload[field.FirstByte..(field.LastByte + 1)], writer);
                    break;
            }

            written++;
        }

        return new DecodeResult(written, _fields.Length - written);
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

    private static void WriteInteger(in FieldSpec field, ReadOnlySpan<byte> payload, Utf8JsonWriter writer)
    {
        var raw = ReadBits(in field, payload);
        var signed = field.Kind == FieldKind.Int;
        long asSigned = 0;
        if (signed)
        {
            var length = field.BitLength;
            asSigned = length < 64 && (raw >> (length - 1)) != 0 ? (long)(raw | (ulong.MaxValue << length)) : (long)raw;
        }

        if (field.Operations.Length == 0)
        {
            // Without arithmetic the value is written exactly, even beyond 2^53 where a double would round it.
            if (signed)
            {
                writer.WriteNumber(field.EncodedName, asSigned);
            }
            else
            {
                writer.WriteNumber(field.EncodedName, raw);
            }

            return;
        }

        WriteDouble(in field, signed ? asSigned : raw, writer);
    }

    private static void WriteDouble(in FieldSpec field, double value, Utf8JsonWriter writer)
    {
        foreach (var operation in field.Operations)
        {
            value = operation.Apply(value);
        }

        if (double.IsFinite(value))
        {
            // Integral results are common (scaled integers, "x/100" of a multiple of 100) and print the same as a
            // long, which is far cheaper than shortest round-trip double formatting. -0 prints as 0.
            if (value == Math.Truncate(value) && Math.Abs(value) < MaxExactInteger)
            {
                writer.WriteNumber(field.EncodedName, (long)value);
            }
            else
            {
                writer.WriteNumber(field.EncodedName, value);
            }
        }
        else
        {
            writer.WriteNull(field.EncodedName); // JSON has no NaN or Infinity
        }
    }

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
