using System.Buffers.Text;
using System.Diagnostics;

namespace Gateway.BinaryParser.Json;

/// <summary>
/// Numbers as JSON text, byte for byte what <see cref="System.Text.Json.Utf8JsonWriter"/> writes for them, without
/// going through the writer.
/// </summary>
internal static class Utf8Number
{
    /// <summary>The longest text <see cref="WriteDouble"/> produces (<c>-1.2345678901234567E-308</c> is 24).</summary>
    public const int MaxDoubleLength = 32;

    /// <summary>The longest integer text (<c>-9223372036854775808</c>, <c>18446744073709551615</c>).</summary>
    public const int MaxIntegerLength = 20;

    // .NET's shortest round-trip text switches to E notation once the decimal point would be more than this many
    // places right of the first digit (10000000000000000, then 1E+17 and 1.2345678901234568E+17).
    private const int MaxFixedScale = 17;

    // ...and when it would be more than three zeros left of the first digit (0.0001, then 1E-05).
    private const int MinFixedScale = -3;

    // .NET 10 writes two doubles, 2^-958 and 2^-25, one digit short (2.980232238769531E-08 reads back as a different
    // double): it treats the gap below a power of two as wide as the one above. The contract here is shortest
    // round-trip, so those two get the text that reads back (2.9802322387695312E-08), as JavaScript writes them;
    // every other double is byte-identical to .NET's text (tests compare all powers of two and millions of others).

    private static ReadOnlySpan<byte> TwoDigits =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>
    /// Writes a finite double in shortest round-trip form in <c>Utf8JsonWriter.WriteNumberValue(double)</c>'s layout
    /// (that is, <c>double.ToString(CultureInfo.InvariantCulture)</c>'s): <c>25.5</c>, <c>1E+15</c>, <c>1E-05</c>,
    /// <c>-0</c>; the same text except for the two doubles .NET gets wrong (above).
    /// </summary>
    /// <returns>Bytes written; <paramref name="destination"/> must hold <see cref="MaxDoubleLength"/>.</returns>
    public static int WriteDouble(double value, Span<byte> destination)
    {
        Debug.Assert(double.IsFinite(value));
        var pos = 0;
        if (double.IsNegative(value))
        {
            destination[pos++] = (byte)'-';
            value = -value;
        }

        if (value == 0)
        {
            destination[pos++] = (byte)'0';
            return pos;
        }

        var (digits, exponent) = ShortestDecimal.Compute(value);
        return pos + WriteShortest(digits, exponent, destination[pos..]);
    }

    /// <summary>
    /// Writes <c>integer · 10^-decimalPlaces</c> as <see cref="WriteDouble"/> writes the double nearest to it. Valid when
    /// <paramref name="integer"/> has at most 15 digits: such a decimal is then the double's shortest round-trip form
    /// (distinct decimals of 15 digits are further apart than neighbouring doubles, so no other one, shorter or not,
    /// reads back as the same double), and no digit search is needed.
    /// </summary>
    /// <returns>Bytes written; <paramref name="destination"/> must hold <see cref="MaxDoubleLength"/>.</returns>
    public static int WriteDecimal(long integer, int decimalPlaces, Span<byte> destination)
    {
        Debug.Assert(integer != 0 && Math.Abs(integer) < 1_000_000_000_000_000);
        var pos = 0;
        if (integer < 0)
        {
            destination[pos++] = (byte)'-';
            integer = -integer;
        }

        var digits = (ulong)integer;
        var exponent = -decimalPlaces;
        while (digits % 10 == 0)
        {
            digits /= 10;
            exponent++;
        }

        return pos + WriteShortest(digits, exponent, destination[pos..]);
    }

    // digits · 10^exponent, digits without trailing zeros, in .NET's choice of fixed or E notation.
    private static int WriteShortest(ulong digits, int exponent, Span<byte> destination)
    {
        var pos = 0;
        var length = ShortestDecimal.DigitCount(digits);

        // Position of the decimal point relative to the first digit: value = 0.d1d2d3… × 10^scale.
        var scale = exponent + length;
        if (scale > MaxFixedScale || scale < MinFixedScale)
        {
            return pos + WriteExponential(digits, length, scale, destination[pos..]);
        }

        if (scale <= 0)
        {
            // 0.000ddd
            destination[pos++] = (byte)'0';
            destination[pos++] = (byte)'.';
            destination.Slice(pos, -scale).Fill((byte)'0');
            pos += -scale;
            WriteDigits(digits, destination.Slice(pos, length));
            return pos + length;
        }

        if (scale >= length)
        {
            // ddd000
            WriteDigits(digits, destination.Slice(pos, length));
            pos += length;
            destination.Slice(pos, scale - length).Fill((byte)'0');
            return pos + scale - length;
        }

        // dd.ddd: write the digits one place right, then move the integer part left over the gap. A byte loop, because
        // an overlapping CopyTo of a few bytes costs more than the whole digit search.
        WriteDigits(digits, destination.Slice(pos + 1, length));
        var integerPart = destination.Slice(pos, scale + 1);
        for (var i = 0; i < scale; i++)
        {
            integerPart[i] = integerPart[i + 1];
        }

        integerPart[scale] = (byte)'.';
        return pos + length + 1;
    }

    // d.ddddE+XX, with at least two exponent digits as .NET writes them. Kept out of WriteDouble so that its stack
    // buffer does not slow down the common fixed-notation path.
    private static int WriteExponential(ulong digits, int length, int scale, Span<byte> destination)
    {
        Span<byte> text = stackalloc byte[17];
        WriteDigits(digits, text[..length]);
        var pos = 0;
        destination[pos++] = text[0];
        if (length > 1)
        {
            destination[pos++] = (byte)'.';
            text[1..length].CopyTo(destination[pos..]);
            pos += length - 1;
        }

        var power = scale - 1;
        destination[pos++] = (byte)'E';
        destination[pos++] = power < 0 ? (byte)'-' : (byte)'+';
        power = Math.Abs(power);
        if (power >= 100)
        {
            destination[pos++] = (byte)('0' + (power / 100));
            power %= 100;
        }

        destination[pos++] = TwoDigits[2 * power];
        destination[pos++] = TwoDigits[(2 * power) + 1];
        return pos;
    }

    /// <summary>Writes an integer as <c>Utf8JsonWriter.WriteNumberValue(long)</c> does.</summary>
    /// <returns>Bytes written; <paramref name="destination"/> must hold <see cref="MaxIntegerLength"/>.</returns>
    public static int WriteInt64(long value, Span<byte> destination)
    {
        var ok = Utf8Formatter.TryFormat(value, destination, out var written);
        Debug.Assert(ok);
        return written;
    }

    /// <summary>Writes an integer as <c>Utf8JsonWriter.WriteNumberValue(ulong)</c> does.</summary>
    /// <returns>Bytes written; <paramref name="destination"/> must hold <see cref="MaxIntegerLength"/>.</returns>
    public static int WriteUInt64(ulong value, Span<byte> destination)
    {
        var ok = Utf8Formatter.TryFormat(value, destination, out var written);
        Debug.Assert(ok);
        return written;
    }

    // Fills destination (exactly as long as the number) with its decimal digits, from the right: eight at a time with
    // one 64-bit division, then in pairs with 32-bit arithmetic, which is cheaper than dividing the ulong by 100 each time.
    private static void WriteDigits(ulong value, Span<byte> destination)
    {
        var pos = destination.Length;
        while (value >= 100_000_000)
        {
            var high = value / 100_000_000;
            WriteEightDigits((uint)(value - (high * 100_000_000)), destination.Slice(pos - 8, 8));
            pos -= 8;
            value = high;
        }

        var rest = (uint)value;
        while (rest >= 100)
        {
            var high = rest / 100;
            var pair = (int)(rest - (high * 100)) * 2;
            destination[--pos] = TwoDigits[pair + 1];
            destination[--pos] = TwoDigits[pair];
            rest = high;
        }

        if (rest >= 10)
        {
            var pair = (int)rest * 2;
            destination[--pos] = TwoDigits[pair + 1];
            destination[--pos] = TwoDigits[pair];
        }
        else
        {
            destination[--pos] = (byte)('0' + rest);
        }
    }

    private static void WriteEightDigits(uint value, Span<byte> destination)
    {
        for (var pos = 6; pos >= 0; pos -= 2)
        {
            var high = value / 100;
            var pair = (int)(value - (high * 100)) * 2;
            destination[pos + 1] = TwoDigits[pair + 1];
            destination[pos] = TwoDigits[pair];
            value = high;
        }
    }
}
