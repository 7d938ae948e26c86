using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Gateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.SigningBenchmarks).Assembly).Run(args);
