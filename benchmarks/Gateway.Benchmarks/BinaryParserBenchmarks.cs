using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.BinaryParser;

namespace Gateway.Benchmarks;

/// <summary>
/// Decoding the spec's example formats into a reused output buffer, as the message path does: a format compiled
/// once, one decode per message. Target: no allocation, well under a microsecond.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the instance's lifetime; the writer is disposed in GlobalCleanup.")]
public class BinaryParserBenchmarks
{
    private const string T1Format = "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32";
    private const string T6Format = "frameType:0:uint:1:big-endian:7 batLow:0:bool:6 boot:0:bool:5 coSensor:0:bool:4 temp:0:int:12:big-endian:3 hygro:2:uint:8 co:3:uint:8";
    private const string T4Format = "head::uint:8 lat::int:32:little-endian:/1000000 lon::int:32:little-endian:/1000000 alt::int:16:little-endian";

    private static readonly byte[] T1Payload = Convert.FromHexString("8007F85F420EADFF430BBE86");
    private static readonly byte[] T6Payload = Convert.FromHexString("8FFF3210");
    private static readonly byte[] T4Payload = Convert.FromHexString("02a0a0200230d340081400");
    private static readonly byte[] ButtonPayload = Convert.FromHexString("4d010351");
    private static readonly byte[] SensitPayload = Convert.FromHexString("816c1e71");
    private static readonly byte[] GpsPayload = """{"lat":35.0,"lon":139.0,"bat":3,"rs":4,"temp":16.0,"humi":32.4,"x":0.0,"y":-64.0,"z":-960.0,"type":0}"""u8.ToArray();

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private BinaryDecoder _t1 = null!;
    private BinaryDecoder _t6 = null!;
    private BinaryDecoder _t4 = null!;
    private BinaryDecoder _button = null!;
    private BinaryDecoder _sensit = null!;
    private BinaryDecoder _gps = null!;
    private Utf8JsonWriter _merge = null!;

    [GlobalSetup]
    public void Setup()
    {
        _t1 = BinaryFormat.Compile(T1Format);
        _t6 = BinaryFormat.Compile(T6Format);
        _t4 = BinaryFormat.Compile(T4Format);
        _button = BinaryFormat.Compile("@button");
        _sensit = BinaryFormat.Compile("@sensit");
        _gps = BinaryFormat.Compile("@gpsmultiunit");
        _merge = new Utf8JsonWriter(_buffer);
    }

    [GlobalCleanup]
    public void Cleanup() => _merge.Dispose();

    /// <summary>T1: bool, 13-bit int, uint, two floats, three operations (5 fields).</summary>
    [Benchmark(Baseline = true)]
    public int T1Doc() => Decode(_t1, T1Payload);

    /// <summary>T6: bit offsets and sign extension (7 fields).</summary>
    [Benchmark]
    public int T6BitOffsets() => Decode(_t6, T6Payload);

    /// <summary>T4: little-endian integers with division (4 fields).</summary>
    [Benchmark]
    public int T4LittleEndian() => Decode(_t4, T4Payload);

    /// <summary>T8: @button (3 fields).</summary>
    [Benchmark]
    public int Button() => Decode(_button, ButtonPayload);

    /// <summary>T7: @sensit mode 1 (13 fields).</summary>
    [Benchmark]
    public int Sensit() => Decode(_sensit, SensitPayload);

    /// <summary>T10: @gpsmultiunit, a JSON text of 10 properties validated and re-serialised.</summary>
    [Benchmark]
    public int GpsMultiUnit() => Decode(_gps, GpsPayload);

    /// <summary>T1 fields merged into a caller's writer next to its own properties, as for a Sigfox body.</summary>
    [Benchmark]
    public int T1MergeIntoWriter()
    {
        _buffer.ResetWrittenCount();
        _merge.Reset(_buffer);
        _merge.WriteStartObject();
        _merge.WriteString("device"u8, "XXXXXX"u8);
        _t1.WriteFields(T1Payload, _merge);
        _merge.WriteBoolean("binaryParserEnabled"u8, true);
        _merge.WriteEndObject();
        _merge.Flush();
        return _buffer.WrittenCount;
    }

    /// <summary>Compiling T1 (once per configuration change, not per message).</summary>
    [Benchmark]
    public BinaryDecoder CompileT1() => BinaryFormat.Compile(T1Format);

    private int Decode(BinaryDecoder decoder, byte[] payload)
    {
        _buffer.ResetWrittenCount();
        decoder.Decode(payload, _buffer);
        return _buffer.WrittenCount;
    }
}
