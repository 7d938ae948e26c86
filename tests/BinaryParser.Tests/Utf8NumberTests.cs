using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Gateway.BinaryParser.Json;

namespace Gateway.BinaryParser.Tests;

/// <summary>
/// The decoders' own double formatter (Ryū) must write exactly what .NET writes for every finite double, and the text
/// must read back as the same double.
/// </summary>
public sealed class Utf8NumberTests
{
    private static readonly Gen<double> AnyFiniteDouble =
        ArbMap.Default.GeneratorFor<ulong>().Select(BitConverter.UInt64BitsToDouble).Where(double.IsFinite);

    private static readonly Gen<double> AnyWidenedFloat =
        ArbMap.Default.GeneratorFor<uint>().Select(b => (double)BitConverter.UInt32BitsToSingle(b)).Where(double.IsFinite);

    [Theory]
    [InlineData(25.5, "25.5")]
    [InlineData(0.95, "0.95")]
    [InlineData((double)35.669918f, "35.669918060302734")]
    [InlineData((double)139.74423f, "139.74423217773438")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1e17, "1E+17")]
    [InlineData(0.000030517578125, "3.0517578125E-05")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(1e14, "100000000000000")]
    [InlineData(1.2345678901234568E+17, "1.2345678901234568E+17")]
    [InlineData(1e21, "1E+21")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1E-05")]
    [InlineData(-1.5e-7, "-1.5E-07")]
    [InlineData(1e300, "1E+300")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(-0.0, "-0")]
    [InlineData(0.0, "0")]
    [InlineData(9007199254740993.0, "9007199254740992")]
    public void Known_values(double value, string expected)
    {
        Assert.Equal(expected, Format(value));
        Assert.Equal(expected, WrittenByUtf8JsonWriter(value));
    }

    [Fact]
    public void Every_power_of_two_matches_dotnet_and_all_but_two_round_trip()
    {
        // .NET writes 2^-958 and 2^-25 with one digit too few (their text reads back as another double); the
        // formatter writes the shortest text that reads back, so only those two differ from .NET.
        var notRoundTripping = new List<double>();
        for (ulong exponent = 1; exponent < 0x7FF; exponent++)
        {
            var value = BitConverter.UInt64BitsToDouble(exponent << 52);
            AssertSameAsDotnet(value);
            AssertSameAsDotnet(-value);
            if (!double.Parse(Format(value), CultureInfo.InvariantCulture).Equals(value))
            {
                notRoundTripping.Add(value);
            }
        }

        Assert.Empty(notRoundTripping);
    }

    [Fact]
    public void The_two_doubles_dotnet_writes_short_get_text_that_reads_back()
    {
        foreach (var value in new[] { Math.Pow(2, -25), Math.Pow(2, -958) })
        {
            var dotnet = value.ToString(CultureInfo.InvariantCulture);
            Assert.NotEqual(value, double.Parse(dotnet, CultureInfo.InvariantCulture));
            Assert.Equal(value, double.Parse(Format(value), CultureInfo.InvariantCulture));
            Assert.Equal(dotnet.Split('E')[0].Length + 1, Format(value).Split('E')[0].Length);
        }

        Assert.Equal("2.9802322387695312E-08", Format(Math.Pow(2, -25)));
    }

    [Fact]
    public void Any_finite_double_matches_dotnet_and_round_trips() =>
        Prop.ForAll(Arb.From(Gen.OneOf(AnyFiniteDouble, AnyWidenedFloat)), value =>
        {
            var text = Format(value);
            var readBack = double.Parse(text, CultureInfo.InvariantCulture);
            return (text == WrittenByUtf8JsonWriter(value) || IsDotnetShort(value)) && readBack.Equals(value);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));

    [Fact]
    public void Millions_of_random_bit_patterns_match_dotnet()
    {
        // Deterministic, so a failure reproduces; widened floats are what float:32 fields produce.
        var random = new Random(20261126);
        Span<byte> bits = stackalloc byte[8];
        for (var i = 0; i < 1_000_000; i++)
        {
            random.NextBytes(bits);
            var value = BitConverter.ToDouble(bits);
            if (double.IsFinite(value))
            {
                AssertSameAsDotnet(value);
                Assert.Equal(value, double.Parse(Format(value), CultureInfo.InvariantCulture));
            }

            var single = (double)BitConverter.ToSingle(bits[..4]);
            if (double.IsFinite(single))
            {
                AssertSameAsDotnet(single);
            }
        }
    }

    [Fact]
    public void Edges_of_every_binary_exponent_match_dotnet()
    {
        // Powers of two (the asymmetric interval), their neighbours, and the extreme mantissas of every exponent,
        // for doubles and for floats, subnormals included.
        for (ulong exponent = 0; exponent < 0x7FF; exponent++)
        {
            var power = exponent << 52;
            foreach (var mantissa in new ulong[] { 0, 1, 2, 3, (1UL << 52) - 1, (1UL << 52) - 2, 1UL << 51 })
            {
                var value = BitConverter.UInt64BitsToDouble(power | mantissa);
                if (value != 0)
                {
                    AssertSameAsDotnet(value);
                    AssertSameAsDotnet(-value);
                }
            }
        }

        for (uint exponent = 0; exponent < 0xFF; exponent++)
        {
            foreach (var mantissa in new uint[] { 0, 1, 2, (1U << 23) - 1, 1U << 22 })
            {
                var value = (double)BitConverter.UInt32BitsToSingle((exponent << 23) | mantissa);
                if (value != 0)
                {
                    AssertSameAsDotnet(value);
                }
            }
        }
    }

    [Fact]
    public void Decimal_round_numbers_and_notation_thresholds_match_dotnet()
    {
        // Short decimals (exact ties in the algorithm are most likely here) at every scale, and the places where the
        // text switches between fixed and E notation.
        for (var scale = -325; scale <= 308; scale++)
        {
            foreach (var mantissa in new[] { 1, 2, 5, 9, 12, 25, 123, 999, 4999, 123456789, 999999999 })
            {
                var value = double.Parse(string.Create(CultureInfo.InvariantCulture, $"{mantissa}e{scale}"), CultureInfo.InvariantCulture);
                if (value != 0 && double.IsFinite(value))
                {
                    AssertSameAsDotnet(value);
                    AssertSameAsDotnet(Math.BitIncrement(value));
                    AssertSameAsDotnet(Math.BitDecrement(value));
                }
            }
        }

        for (var i = 0; i < 100_000; i++)
        {
            AssertSameAsDotnet(i / 100.0);
            AssertSameAsDotnet(i / 1000000.0);
            AssertSameAsDotnet(i * 0.1);
            AssertSameAsDotnet((i + 0.5) * 1e10);
        }
    }

    [Fact]
    public void Integers_match_dotnet()
    {
        Span<byte> buffer = stackalloc byte[Utf8Number.MaxIntegerLength];
        foreach (var value in new[] { 0L, 1, -1, 9, 10, -10, long.MaxValue, long.MinValue, 1234567890123 })
        {
            Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(buffer[..Utf8Number.WriteInt64(value, buffer)]));
        }

        Assert.Equal("18446744073709551615", Encoding.UTF8.GetString(buffer[..Utf8Number.WriteUInt64(ulong.MaxValue, buffer)]));
    }

    private static bool IsDotnetShort(double value) => Math.Abs(value) == Math.Pow(2, -958) || Math.Abs(value) == Math.Pow(2, -25);

    private static void AssertSameAsDotnet(double value)
    {
        if (IsDotnetShort(value))
        {
            return;
        }

        Span<byte> ours = stackalloc byte[Utf8Number.MaxDoubleLength];
        Span<byte> theirs = stackalloc byte[64];
        var length = Utf8Number.WriteDouble(value, ours);
        Assert.True(value.TryFormat(theirs, out var expectedLength, default, CultureInfo.InvariantCulture));
        if (!ours[..length].SequenceEqual(theirs[..expectedLength]))
        {
            // Fail with the bit pattern, so the case can be reproduced.
            Assert.Fail($"{BitConverter.DoubleToUInt64Bits(value):X16}: expected {Encoding.UTF8.GetString(theirs[..expectedLength])}, wrote {Encoding.UTF8.GetString(ours[..length])}");
        }
    }

    private static string Format(double value)
    {
        Span<byte> buffer = stackalloc byte[Utf8Number.MaxDoubleLength];
        return Encoding.UTF8.GetString(buffer[..Utf8Number.WriteDouble(value, buffer)]);
    }

    private static string WrittenByUtf8JsonWriter(double value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteNumberValue(value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
