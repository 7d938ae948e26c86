using BenchmarkDotNet.Running;
using Gateway.Benchmarks;

// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- --filter '*'      (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- udp-load 127.0.0.1:23080 10 32   (UDP load)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- decode-loop 3   (binary parser, for the Node comparison)
if (args.Length > 0 && args[0] == "udp-load")
{
    return await UdpLoad.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "decode-loop")
{
    return DecodeLoop.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SigningBenchmarks).Assembly).Run(args);
return 0;
