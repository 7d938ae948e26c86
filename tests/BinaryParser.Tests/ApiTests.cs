using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gateway.BinaryParser.Tests;

public sealed class ApiTests
{
    private const string T1 = "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32";
    private static readonly byte[] T1Payload = Convert.FromHexString("8007F85F420EADFF430BBE86");

    [Fact]
    public void Decode_into_a_buffer_writer_appends_the_object()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix:"u8);
        var result = BinaryFormat.Compile(T1).Decode(T1Payload, buffer);

        Assert.Equal(new DecodeResult(5, 0), result);
        Assert.Equal(
            """prefix:{"flag":true,"temp":25.5,"humid":0.95,"lat":35.669918060302734,"long":139.74423217773438,"binaryParserEnabled":true}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Fields_merge_into_an_existing_object_next_to_its_own_properties()
    {
        // How a Sigfox body is built: its own properties, the parsed fields, then the marker.
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("device", "XXXXXX");
            writer.WriteString("data", "816c1e71");
            var result = BinaryFormat.Compile("@sensit").WriteFields(Convert.FromHexString("816c1e71"), writer);
            writer.WriteBoolean("binaryParserEnabled", true);
            writer.WriteString("seqNumber", "1406");
            writer.WriteEndObject();
            Assert.Equal(new DecodeResult(13, 0), result);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["device", "data", "mode", "modeText"], names[..4]);
        Assert.Equal(26.75, document.RootElement.GetProperty("tempC").GetDouble());
        Assert.Equal("1406", document.RootElement.GetProperty("seqNumber").GetString());
    }

    [Fact]
    public void Decode_into_a_utf8_json_writer_writes_a_value_where_the_writer_is()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            BinaryFormat.Compile("a:0:uint:8").Decode([1], writer);
            BinaryFormat.Compile("a:0:uint:8").Decode([2], writer);
            writer.WriteEndArray();
        }

        Assert.Equal("""[{"a":1,"binaryParserEnabled":true},{"a":2,"binaryParserEnabled":true}]""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Decoding_allocates_nothing_after_warm_up()
    {
        var decoders = new (BinaryDecoder Decoder, byte[] Payload)[]
        {
            (BinaryFormat.Compile(T1), T1Payload),
            (BinaryFormat.Compile("a:0:char:4 b:4:char:2"), Convert.FromHexString("41424344E9E9")),
            (BinaryFormat.Compile("@button"), Convert.FromHexString("4d010351")),
            (BinaryFormat.Compile("@sensit"), Convert.FromHexString("816c1e71")),
            (BinaryFormat.Compile("@gpsmultiunit"), """{"lat":35.0,"lon":139.0,"bat":3,"s":"x\u00e9","n":[1,2]}"""u8.ToArray()),
            (BinaryFormat.Compile("t:0:int:16 u:4:uint:8"), [1, 2, 3]), // short: the omission counter must not allocate either
        };
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (var (decoder, payload) in decoders)
        {
            decoder.Decode(payload, buffer);
            buffer.ResetWrittenCount();
        }

        foreach (var (decoder, payload) in decoders)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                decoder.Decode(payload, buffer);
                buffer.ResetWrittenCount();
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void A_decoder_is_safe_to_share_between_threads()
    {
        var decoder = BinaryFormat.Compile(T1);
        var expected = decoder.DecodeToString(T1Payload);
        Parallel.For(0, 2000, _ => Assert.Equal(expected, decoder.DecodeToString(T1Payload)));
    }

    [Fact]
    public void Format_and_to_string_give_the_source()
    {
        var decoder = BinaryFormat.Compile(T1);
        Assert.Equal(T1, decoder.Format);
        Assert.Equal(T1, decoder.ToString());
        Assert.Equal(["flag", "temp", "humid", "lat", "long"], decoder.FieldNames);
        Assert.Empty(BinaryFormat.Compile("@json").FieldNames);
    }

    [Fact]
    public void Errors_read_as_one_line()
    {
        Assert.Equal("field 3, column 7: why", new BinaryFormatError(3, 7, "why").ToString());
    }
}
