using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.BinaryParser;

namespace Gateway.RandomInput.Targets;

/// <summary>
/// The binary parser: a format string (<see cref="BinaryFormat.TryCompile(string, out BinaryDecoder?, out BinaryFormatError?)"/>)
/// and a payload decoded with it, one input holding both as <c>format NUL payload</c>. Contract: TryCompile never
/// throws and Compile throws only <see cref="BinaryFormatException"/>; a decoder never throws for any payload, and
/// writes one well-formed JSON object that accounts for every field of a custom format as written or omitted.
/// </summary>
internal sealed class BinaryParserTarget : IParserTarget
{
    private readonly ArrayBufferWriter<byte> _output = new();

    public string Name => "binary-parser";

    public string Description => "binary parser format strings (TryCompile) and payloads (Decode)";

    public IReadOnlyList<byte[]> Samples { get; } =
    [
        Sample("flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32", "80123456cdef42280000431c0000"),
        Sample("a:0:char:4 b:4:char:2", "41424344e9e9"),
        Sample("v:0:uint:16:little-endian:+100000/100 w::int:64 x::float:64:little-endian*2-1", "0102030405060708090a0b0c0d0e0f101112"),
        Sample("t:0:int:12:4 u:1:uint:3:2 s:2:int:64:3", "ffffffffffffffffffff"),
        Sample("$x-1:0:bool:0 #y_2::bool:1 z::uint:1", "ff"),
        Sample("@button", "4d010351"),
        Sample("@sensit", "816c1e71"),
        Sample("@json", Convert.ToHexString("{\"lat\":35.0,\"lon\":139.0,\"s\":\"x\\u00e9\",\"n\":[1,{\"a\":null}]}"u8)),
        Sample("@gpsmultiunit", Convert.ToHexString("{\"lat\":1e308,\"lon\":-0}"u8)),
    ];

    public IReadOnlyList<byte[]> Tokens { get; } = AsciiBytes.Of(
        ":", "::", " ", "\t", "bool", "int", "uint", "float", "char", "big-endian", "little-endian", "/", "+", "*", "-",
        "/0", "*1e308", ":0:", ":64", ":65", ":7", ":8", "@", "@button", "@json", "@sensit", "\0", "{", "}", "[", "\"", "\\u0000",
        "\\ud800", "1e999", "é", "\u3042");

    public int MaxInputBytes => 4096;

    public byte[] Shape(byte[] input, Random random) => input;

    public void Run(byte[] input)
    {
        var split = Array.IndexOf(input, (byte)0);
        var format = Encoding.UTF8.GetString(input, 0, split < 0 ? input.Length : split);
        var payload = split < 0 ? [] : input.AsSpan(split + 1);
        var compiled = BinaryFormat.TryCompile(format, out var decoder, out var error);
        try
        {
            _ = BinaryFormat.Compile(format);
            InvariantException.Check(compiled, "Compile succeeds exactly when TryCompile does");
        }
        catch (BinaryFormatException e)
        {
            InvariantException.Check(!compiled && e.Error == error, "Compile fails exactly when TryCompile does, with the same error");
        }

        if (!compiled)
        {
            InvariantException.Check(error!.FieldNumber >= 0 && error.Column >= 0 && error.Reason.Length > 0, "an error says where and why");
            return;
        }

        Decode(decoder!, payload, format.TrimStart().StartsWith('@'));
        var hash = new InputHash(input);
        Decode(decoder!, payload[..hash.Next(payload.Length + 1)], format.TrimStart().StartsWith('@'));
    }

    private void Decode(BinaryDecoder decoder, ReadOnlySpan<byte> payload, bool predefined)
    {
        _output.ResetWrittenCount();
        var result = decoder.Decode(payload, _output);
        InvariantException.Check(predefined || result.FieldsWritten + result.FieldsOmitted == decoder.FieldNames.Count, "every field written or omitted");
        try
        {
            var reader = new Utf8JsonReader(_output.WrittenSpan);
            InvariantException.Check(reader.Read() && reader.TokenType == JsonTokenType.StartObject, "the output is an object");
            reader.Skip();
            InvariantException.Check(!reader.Read(), "nothing after the object");
        }
        catch (JsonException e)
        {
            throw new InvariantException("the output is not valid JSON: " + Encoding.UTF8.GetString(_output.WrittenSpan), e);
        }
    }

    private static byte[] Sample(string format, string payloadHex) => [.. Encoding.UTF8.GetBytes(format), 0, .. Convert.FromHexString(payloadHex)];
}
