using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Gateway.Registry;

namespace Gateway.Benchmarks;

/// <summary>
/// Cost of answering "which subscriber is this?" per message, against a registry of 100,000 subscribers with
/// static addresses, 1,000 routed ranges and 10,000 RADIUS bindings. Target: well under a microsecond, no allocation.
/// </summary>
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private IdentityResolver _resolver = null!;
    private IPAddress _static = null!;
    private IPAddress _inRange = null!;
    private IPAddress _bound = null!;
    private IPAddress _unknown = null!;

    [GlobalSetup]
    public void Setup()
    {
        var subscribers = new JsonArray();
        for (var i = 0; i < 100_000; i++)
        {
            subscribers.Add(new JsonObject
            {
                ["imsi"] = (440100000000000L + i).ToString(CultureInfo.InvariantCulture),
                ["ipAddress"] = $"10.{i / 65536}.{i / 256 % 256}.{i % 256}",
                ["imei"] = (353000000000000L + i).ToString(CultureInfo.InvariantCulture),
            });
        }

        for (var i = 0; i < 1_000; i++)
        {
            subscribers.Add(new JsonObject
            {
                ["imsi"] = (440200000000000L + i).ToString(CultureInfo.InvariantCulture),
                ["ipRanges"] = new JsonArray($"172.{16 + (i / 256)}.{i % 256}.0/24"),
            });
        }

        var errors = new List<string>();
        var doc = RegistryParser.Parse(new JsonObject { ["subscribers"] = subscribers }, errors)
            ?? throw new InvalidOperationException(string.Join("\n", errors));
        _resolver = new IdentityResolver();
        _resolver.Publish(new RegistrySnapshot(doc));
        for (var i = 0; i < 10_000; i++)
        {
            _resolver.Bind(IPAddress.Parse($"100.64.{i / 256}.{i % 256}"), new AddressBinding((440100000000000L + i).ToString(CultureInfo.InvariantCulture), null, null, DateTimeOffset.UnixEpoch));
        }

        _static = IPAddress.Parse("10.1.2.3");
        _inRange = IPAddress.Parse("172.17.5.9");
        _bound = IPAddress.Parse("100.64.10.10");
        _unknown = IPAddress.Parse("192.0.2.1");
    }

    [Benchmark(Baseline = true)]
    public bool StaticAddress() => _resolver.ResolveAddress(_static).IsKnown;

    [Benchmark]
    public bool RoutedRange() => _resolver.ResolveAddress(_inRange).IsKnown;

    [Benchmark]
    public bool RadiusBinding() => _resolver.ResolveAddress(_bound).IsKnown;

    [Benchmark]
    public bool UnknownAddress() => _resolver.ResolveAddress(_unknown).IsKnown;
}
