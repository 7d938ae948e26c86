using BenchmarkDotNet.Running;
using Gateway.Benchmarks;

// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- --filter '*'      (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- udp-load 127.0.0.1:23080 10 32   (UDP load)
if (args.Length > 0 && args[0] == "udp-load")
{
    return await UdpLoad.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SigningBenchmarks).Assembly).Run(args);
return 0;
