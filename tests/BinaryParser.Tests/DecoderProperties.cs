using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Gateway.BinaryParser.Tests;

/// <summary>Whatever the format and payload, compiling either succeeds or reports a position, and decoding never throws and always gives valid JSON.</summary>
public sealed class DecoderProperties
{
    internal static Gen<byte[]> Payload =>
        Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    private static Gen<string> Index => Gen.OneOf(Gen.Constant(""), Gen.Choose(0, 12).Select(Text));

    private static Gen<string> Op =>
        from op in Gen.Elements("+", "-", "*", "/")
        from sign in Gen.Elements("", "", "-")
        from number in Gen.Elements("0", "1", "2", "10", "100", "0.5", "1000000", "3.25")
        select op + sign + number;

    // Up to five operations, each either concatenated to the previous one or in a token of its own.
    private static Gen<string> Ops =>
        Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Gen.Zip(Op, Gen.Elements("", ":")), n))
            .Select(ops => string.Concat(ops.Select((o, i) => (i == 0 ? ":" : o.Item2) + o.Item1)));

    private static Gen<string> IntegerType =>
        from signed in Gen.Elements("int", "uint")
        from length in Gen.Choose(1, 64)
        from little in Gen.Elements(false, false, true)
        from offset in Gen.OneOf(Gen.Constant(""), Gen.Choose(0, 7).Select(o => ":" + Text(o)))
        from ops in Ops
        let le = little && length % 8 == 0
        select $"{signed}:{Text(length)}{(le ? ":little-endian" : little ? "" : ":big-endian")}{(le ? "" : offset)}{ops}";

    private static Gen<string> FloatType =>
        from size in Gen.Elements("32", "64")
        from endian in Gen.Elements("", ":big-endian", ":little-endian")
        from ops in Ops
        select $"float:{size}{endian}{ops}";

    private static Gen<string> Type => Gen.OneOf(
        Gen.Choose(0, 7).Select(b => "bool:" + Text(b)),
        IntegerType,
        FloatType,
        Gen.Choose(1, 6).Select(n => "char:" + Text(n)));

    internal static Gen<string> ValidFormat =>
        Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(Gen.Zip(Index, Type), n))
            .Select(fields => string.Join(' ', fields.Select((f, i) => $"f{Text(i)}:{f.Item1}:{f.Item2}")));

    // Grammar pieces shuffled together: mostly broken formats, some valid ones.
    private static Gen<string> NoisyFormat =>
        Gen.Choose(0, 14).SelectMany(n => Gen.ArrayOf(
            Gen.Elements("a", "b", ":", ":", " ", "0", "7", "8", "13", "64", "65", "bool", "int", "uint", "float", "char", "32",
                "big-endian", "little-endian", "/", "+", "*", "-", "10", ".", "@", "@button", "\t", "é", "x"), n))
            .Select(string.Concat);

    [Fact]
    public void Valid_formats_compile_and_decode_any_payload_to_valid_json() =>
        Prop.ForAll(Arb.From(ValidFormat), Arb.From(Payload), (format, payload) =>
        {
            var decoder = BinaryFormat.Compile(format);
            var json = decoder.DecodeToString(payload, out var result);
            using var document = JsonDocument.Parse(json);
            var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            var expectedNames = decoder.FieldNames.Where(names.Contains).Append("binaryParserEnabled");
            return names.SequenceEqual(expectedNames)
                && result.FieldsWritten == names.Count - 1
                && result.FieldsWritten + result.FieldsOmitted == decoder.FieldNames.Count
                && document.RootElement.GetProperty("binaryParserEnabled").GetBoolean();
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));

    [Fact]
    public void Any_format_text_compiles_or_reports_a_position_and_never_throws_otherwise() =>
        Prop.ForAll(Arb.From(NoisyFormat), Arb.From(Payload), (format, payload) =>
        {
            if (BinaryFormat.TryCompile(format, out var decoder, out var error))
            {
                using var document = JsonDocument.Parse(decoder.DecodeToString(payload));
                return document.RootElement.ValueKind == JsonValueKind.Object;
            }

            var thrown = Record.Exception(() => BinaryFormat.Compile(format));
            return error.FieldNumber >= 1
                && error.Column >= 1 && error.Column <= format.Length + 1
                && error.Reason.Length > 0
                && thrown is BinaryFormatException e && e.Error == error;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));

    [Fact]
    public void Integers_match_a_bit_by_bit_reference()
    {
        var gen =
            from index in Gen.Choose(0, 3)
            from offset in Gen.Choose(0, 7)
            from length in Gen.Choose(1, 64)
            from signed in Gen.Elements(true, false)
            from payload in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 13)
            select (index, offset, length, signed, payload);

        Prop.ForAll(Arb.From(gen), c =>
        {
            var format = $"v:{Text(c.index)}:{(c.signed ? "int" : "uint")}:{Text(c.length)}:{Text(c.offset)}";
            using var document = JsonDocument.Parse(BinaryFormat.Compile(format).DecodeToString(c.payload));
            var actual = BigInteger.Parse(document.RootElement.GetProperty("v").GetRawText(), CultureInfo.InvariantCulture);

            var start = (c.index * 8) + (7 - c.offset);
            BigInteger expected = 0;
            for (var k = 0; k < c.length; k++)
            {
                var bit = start + k;
                expected = (expected << 1) | ((c.payload[bit / 8] >> (7 - (bit % 8))) & 1);
            }

            if (c.signed && (expected >> (c.length - 1)) == 1)
            {
                expected -= BigInteger.One << c.length;
            }

            return actual == expected;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    // Also: the text is the shortest round-trip form (integral results without ".0"), and -0 is written as 0.
    [Fact]
    public void Operations_fold_left_to_right_and_non_finite_results_are_null()
    {
        var gen =
            from value in Gen.Choose(0, 65535)
            from ops in Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Op, n))
            select (value, ops);

        Prop.ForAll(Arb.From(gen), c =>
        {
            var json = BinaryFormat.Compile("v:0:uint:16:" + string.Concat(c.ops)).DecodeToString([(byte)(c.value >> 8), (byte)c.value]);
            double expected = c.value;
            foreach (var op in c.ops)
            {
                var operand = double.Parse(op.AsSpan(1), CultureInfo.InvariantCulture);
                expected = op[0] switch
                {
                    '+' => expected + operand,
                    '-' => expected - operand,
                    '*' => expected * operand,
                    _ => expected / operand,
                };
            }

            using var document = JsonDocument.Parse(json);
            var v = document.RootElement.GetProperty("v");
            return double.IsFinite(expected)
                ? v.GetDouble().Equals(expected) && v.GetRawText() == (expected == 0 ? 0.0 : expected).ToString(CultureInfo.InvariantCulture)
                : v.ValueKind == JsonValueKind.Null;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void Json_formats_give_valid_json_for_any_bytes()
    {
        var jsonish =
            Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Elements("{", "}", "[", "]", "\"a\"", "\"b\\u00e9\"", ":", ",", "1", "-2.50", "1e400", "true", "null", " ", "\"\\ud800\"", "\\"), n))
                .Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts)));
        var decoder = BinaryFormat.Compile("@json");

        Prop.ForAll(Arb.From(Gen.OneOf(jsonish, Payload)), payload =>
        {
            using var document = JsonDocument.Parse(decoder.DecodeToString(payload, out var result));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.EnumerateObject().Last().Name == "binaryParserEnabled"
                && result.FieldsWritten == document.RootElement.EnumerateObject().Count() - 1;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Predefined_binary_formats_give_valid_json_for_any_bytes()
    {
        var button = BinaryFormat.Compile("@button");
        var sensit = BinaryFormat.Compile("@sensit");
        Prop.ForAll(Arb.From(Payload), payload =>
        {
            using var a = JsonDocument.Parse(button.DecodeToString(payload));
            using var b = JsonDocument.Parse(sensit.DecodeToString(payload));
            return a.RootElement.ValueKind == JsonValueKind.Object && b.RootElement.ValueKind == JsonValueKind.Object;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
