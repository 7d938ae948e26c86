using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Gateway.BinaryParser.Tests;

/// <summary>
/// Decoding into an <see cref="IBufferWriter{T}"/> writes bytes directly, bypassing <see cref="Utf8JsonWriter"/>; it must
/// give exactly the text the writer path gives (the path used when fields are merged into a caller's writer).
/// </summary>
public sealed class DirectPathTests
{
    private static readonly JsonWriterOptions SameEscaping = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public void Any_format_and_payload_give_the_writer_paths_text() =>
        Prop.ForAll(Arb.From(DecoderProperties.ValidFormat), Arb.From(DecoderProperties.Payload), (format, payload) =>
        {
            var decoder = BinaryFormat.Compile(format);
            var (direct, directResult) = Direct(decoder, payload);
            var (viaWriter, writerResult) = ViaWriter(decoder, payload);
            return direct == viaWriter && directResult == writerResult;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));

    // A char field's declared length once sized the direct path's output request: char:2147483647 overflowed it and
    // Decode threw (ArgumentException "sizeHint"), and char:100000000 asked the output for 100 MB per message even for
    // a few bytes of payload (both found by tests/tools/RandomInput). Fields that do not fit are still simply omitted.
    [Theory]
    [InlineData("a:0:char:2147483647 b:4:char:2")]
    [InlineData("a:0:char:1073741824 c:0:char:1073741824 b:4:char:2")]
    [InlineData("a:0:char:100000000 b:4:char:2")]
    public void A_char_field_longer_than_any_payload_is_omitted_without_a_huge_buffer(string format)
    {
        var decoder = BinaryFormat.Compile(format);
        var output = new ArrayBufferWriter<byte>();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = decoder.Decode("ABCDEF"u8, output);

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "the output buffer is sized by the payload, not the format");
        Assert.Equal("""{"b":"EF","binaryParserEnabled":true}""", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(1, result.FieldsWritten);
        Assert.Equal(ViaWriter(decoder, "ABCDEF"u8.ToArray()).Json, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Every_byte_as_a_character_gives_the_writer_paths_text()
    {
        // Printable ASCII is copied; quotes, backslashes, control and Latin-1 bytes fall back to the writer.
        var decoder = BinaryFormat.Compile("a:0:char:1 b:1:char:3");
        for (var b = 0; b < 256; b++)
        {
            byte[] payload = [(byte)b, (byte)'x', (byte)b, (byte)'y'];
            Assert.Equal(ViaWriter(decoder, payload), Direct(decoder, payload));
        }
    }

    [Fact]
    public void Every_button_payload_gives_the_writer_paths_text()
    {
        var decoder = BinaryFormat.Compile("@button");
        for (var click = 0; click < 256; click++)
        {
            for (var battery = 0; battery < 256; battery++)
            {
                byte[] payload = [0x4d, (byte)click, (byte)battery, 0];
                Assert.Equal(ViaWriter(decoder, payload), Direct(decoder, payload));
            }
        }

        for (var length = 0; length < 4; length++)
        {
            var payload = new byte[length];
            Assert.Equal(ViaWriter(decoder, payload), Direct(decoder, payload));
        }
    }

    [Fact]
    public void Numbers_merged_into_an_indented_writer_look_like_the_writers_own()
    {
        // The writer path writes formatted numbers as raw values; an indented caller's writer must lay them out as it
        // lays out its own numbers.
        var decoder = BinaryFormat.Compile("a:0:float:32 b:4:uint:8:/100 c:5:uint:8");
        byte[] payload = [0x42, 0x0E, 0xAD, 0xFF, 95, 7];
        var options = new JsonWriterOptions { Indented = true };

        var actual = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(actual, options))
        {
            writer.WriteStartObject();
            decoder.WriteFields(payload, writer);
            writer.WriteEndObject();
        }

        var expected = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(expected, options))
        {
            writer.WriteStartObject();
            writer.WriteNumber("a", (double)BitConverter.UInt32BitsToSingle(0x420EADFF));
            writer.WriteNumber("b", 0.95);
            writer.WriteNumber("c", 7);
            writer.WriteEndObject();
        }

        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.WrittenSpan));
    }

    [Fact]
    public void Integers_divided_by_a_power_of_ten_read_as_dotnet_writes_the_quotient()
    {
        // "/100" of an integer skips the digit search (the integer's digits are the shortest form); the text must be
        // .NET's for the double quotient: integral results as integers, E notation below 1E-04, huge integers too.
        var gen =
            from places in Gen.Choose(1, 16)
            from magnitude in Gen.Choose(0, 18)
            from raw in ArbMap.Default.GeneratorFor<long>()
            select (places, integer: magnitude == 18 ? raw : raw % (long)Math.Pow(10, magnitude));

        Prop.ForAll(Arb.From(gen), c =>
        {
            var divisor = Math.Pow(10, c.places);
            var op = "/1" + new string('0', c.places);
            var decoder = BinaryFormat.Compile($"v:0:int:64:{op} w:0:uint:64:{op}");
            var payload = BitConverter.GetBytes(c.integer).Reverse().ToArray();
            var expected = "{\"v\":" + Expected(c.integer / divisor) + ",\"w\":" + Expected((ulong)c.integer / divisor) + ",\"binaryParserEnabled\":true}";
            return Direct(decoder, payload).Json == expected;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));

        static string Expected(double value) =>
            value == Math.Truncate(value) && Math.Abs(value) < 9007199254740992.0
                ? ((long)value).ToString(CultureInfo.InvariantCulture)
                : value.ToString(CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_small_output_buffer_is_grown_not_overrun()
    {
        var decoder = BinaryFormat.Compile("flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32");
        var buffer = new ArrayBufferWriter<byte>(1);
        decoder.Decode(Convert.FromHexString("8007F85F420EADFF430BBE86"), buffer);
        Assert.Equal(
            """{"flag":true,"temp":25.5,"humid":0.95,"lat":35.669918060302734,"long":139.74423217773438,"binaryParserEnabled":true}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static (string Json, DecodeResult Result) Direct(BinaryDecoder decoder, byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var result = decoder.Decode(payload, buffer);
        return (Encoding.UTF8.GetString(buffer.WrittenSpan), result);
    }

    private static (string Json, DecodeResult Result) ViaWriter(BinaryDecoder decoder, byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        DecodeResult result;
        using (var writer = new Utf8JsonWriter(buffer, SameEscaping))
        {
            result = decoder.Decode(payload, writer);
        }

        return (Encoding.UTF8.GetString(buffer.WrittenSpan), result);
    }
}
