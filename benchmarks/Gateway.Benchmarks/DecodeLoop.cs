using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Gateway.BinaryParser;

namespace Gateway.Benchmarks;

/// <summary>
/// The binary parser in a plain timed loop, for the side-by-side with Node (which cannot run under
/// BenchmarkDotNet): the same layouts and payloads as benchmarks/node/decoders.js, JSON text out, per second.
/// Usage: <c>decode-loop SECONDS</c>.
/// </summary>
internal static class DecodeLoop
{
    private static readonly (string Name, string Format, string Hex)[] s_layouts =
    [
        ("T1", "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32", "8007F85F420EADFF430BBE86"),
        ("T6", "frameType:0:uint:1:big-endian:7 batLow:0:bool:6 boot:0:bool:5 coSensor:0:bool:4 temp:0:int:12:big-endian:3 hygro:2:uint:8 co:3:uint:8", "8FFF3210"),
        ("@button", "@button", "4d010351"),
    ];

    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var output = new ArrayBufferWriter<byte>(512);
        foreach (var (name, format, hex) in s_layouts)
        {
            var decoder = BinaryFormat.Compile(format);
            var payload = Convert.FromHexString(hex);
            for (var i = 0; i < 200_000; i++)
            {
                output.ResetWrittenCount();
                decoder.Decode(payload, output);
            }

            long n = 0;
            var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                for (var i = 0; i < 1000; i++)
                {
                    output.ResetWrittenCount();
                    decoder.Decode(payload, output);
                }

                n += 1000;
            }

            output.ResetWrittenCount();
            decoder.Decode(payload, output);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}\t{n / seconds:0}\t{System.Text.Encoding.UTF8.GetString(output.WrittenSpan)}"));
        }

        return 0;
    }
}
