using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Gateway.Beam;
using Gateway.Registry;

namespace Gateway.Benchmarks;

/// <summary>
/// Per-message allocations that grow with load (issue 15, item 11): the group's compiled Beam configuration looked
/// up for every message, and a device's HTTP body read whole (300 bytes, the size of a typical reading).
/// </summary>
[MemoryDiagnoser]
public class PerMessageAllocationBenchmarks
{
    private readonly byte[] _body = new byte[300];
    private Group _group = null!;
    private RegistrySnapshot _snapshot = null!;

    [GlobalSetup]
    public void Setup()
    {
        var errors = new List<string>();
        var registry = new JsonObject
        {
            ["groups"] = new JsonArray(new JsonObject
            {
                ["groupId"] = "g",
                ["configuration"] = new JsonObject
                {
                    ["SoracomBeam"] = new JsonObject
                    {
                        ["udp://beam.soracom.io:23080"] = new JsonObject { ["destination"] = "http://127.0.0.1:9/u", ["enabled"] = true },
                    },
                },
            }),
        };
        var document = RegistryParser.Parse(registry, errors) ?? throw new InvalidOperationException(string.Join("\n", errors));
        _snapshot = new RegistrySnapshot(document);
        _group = document.Groups[0];
        _ = BeamGroupConfig.For(_group, _snapshot);
    }

    [Benchmark]
    public object GroupConfigLookup() => BeamGroupConfig.For(_group, _snapshot);

    [Benchmark]
    public async Task<int> ReadBodyOfKnownLength()
    {
        using var body = new MemoryStream(_body, writable: false);
        return (await Pipeline.BoundedBody.ReadAsync(body, 1 << 20, CancellationToken.None, _body.Length))!.Length;
    }
}
