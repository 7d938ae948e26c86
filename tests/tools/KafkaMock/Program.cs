using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Gateway.Adapters.Kafka;

namespace KafkaMock;

/// <summary>
/// Starts librdkafka's mock cluster (one broker, on 127.0.0.1 only), prints its bootstrap address as one line, then
/// reads commands from stdin until it closes: <c>error API CODE [COUNT]</c> (the next COUNT requests of Kafka API key API
/// fail with error CODE; Produce is 0), <c>topic NAME PARTITIONS</c>, <c>down</c>, <c>up</c>. Each command answers
/// <c>ok</c> or <c>error: …</c>. <c>--port N</c> serves the broker on loopback port N (through a forwarder).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        NativeLibrary.SetDllImportResolver(typeof(Program).Assembly,
            (name, _, _) => name == "librdkafka" ? KafkaNativeLibrary.Load() : IntPtr.Zero);
        var port = args.Length == 2 && args[0] == "--port" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var rk = CreateMockProducer();
        var cluster = Native.MockCluster(rk);
        var bootstrap = Marshal.PtrToStringUTF8(Native.Bootstraps(cluster))!;
        using var forwarder = port == 0 ? null : Forward(cluster, bootstrap, port);
        Console.Out.WriteLine(port == 0 ? bootstrap : $"127.0.0.1:{port}");
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            Console.Out.WriteLine(Execute(cluster, line.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            Console.Out.Flush();
        }
        Native.Destroy(rk);
        return 0;
    }

    private static IntPtr CreateMockProducer()
    {
        var error = new byte[512];
        var conf = Native.ConfNew();
        if (Native.ConfSet(conf, "test.mock.num.brokers", "1", error, (nuint)error.Length) != 0)
            throw new InvalidOperationException(Encoding.UTF8.GetString(error).TrimEnd('\0'));
        var rk = Native.New(0, conf, error, (nuint)error.Length);
        return rk != IntPtr.Zero ? rk : throw new InvalidOperationException(Encoding.UTF8.GetString(error).TrimEnd('\0'));
    }

    private static PortForwarder Forward(IntPtr cluster, string bootstrap, int port)
    {
        var brokerPort = int.Parse(bootstrap[(bootstrap.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var forwarder = new PortForwarder(port, brokerPort);
        forwarder.Start();
        // Metadata must name the forwarder, or clients would go to the random port after bootstrapping.
        Native.BrokerSetHostPort(cluster, 1, "127.0.0.1", port);
        return forwarder;
    }

    private static string Execute(IntPtr cluster, string[] words)
    {
        static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        try
        {
            switch (words)
            {
                case ["error", var api, var code]:
                    Native.PushRequestErrors(cluster, (short)Int(api), 1, [Int(code)]);
                    return "ok";
                case ["error", var api, var code, var count]:
                    Native.PushRequestErrors(cluster, (short)Int(api), (nuint)Int(count), Enumerable.Repeat(Int(code), Int(count)).ToArray());
                    return "ok";
                case ["topic", var name, var partitions]:
                    return Native.TopicCreate(cluster, name, Int(partitions), 1) == 0 ? "ok" : "error: topic not created";
                case ["down"]:
                    return Native.BrokerSetDown(cluster, -1) == 0 ? "ok" : "error: down failed";
                case ["up"]:
                    return Native.BrokerSetUp(cluster, -1) == 0 ? "ok" : "error: up failed";
                default:
                    return "error: unknown command";
            }
        }
        catch (FormatException)
        {
            return "error: not a number";
        }
    }
}
