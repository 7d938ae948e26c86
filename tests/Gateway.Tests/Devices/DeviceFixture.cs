using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Devices;

/// <summary>
/// The real gateway with two recording services (<c>funnel</c>, <c>harvest</c>) and one device per group kind, each
/// recognised by its 127.0.0.N source address: Funnel only, both (Auto), Funnel with the Unified format, both with
/// Harvest's format, and nothing enabled.
/// </summary>
internal sealed class DeviceFixture : IAsyncDisposable
{
    public const string FunnelOnly = "127.0.0.71";
    public const string Both = "127.0.0.72";
    public const string UnifiedFormat = "127.0.0.73";
    public const string NoService = "127.0.0.74";
    public const string HarvestFormat = "127.0.0.75";
    public const string Unknown = "127.0.0.79";

    private static readonly string[] s_funnelGroups = ["d-funnel", "d-both", "d-unified", "d-named"];
    private static readonly string[] s_harvestGroups = ["d-both", "d-named"];

    private DeviceFixture(GatewayProcess gateway, RecordingDeviceService funnel, RecordingDeviceService harvest)
    {
        Gateway = gateway;
        Funnel = funnel;
        Harvest = harvest;
    }

    public GatewayProcess Gateway { get; }

    public RecordingDeviceService Funnel { get; }

    public RecordingDeviceService Harvest { get; }

    public static async Task<DeviceFixture> StartAsync()
    {
        static bool Takes(string[] groups, DeviceIdentity d, SourceProtocol p) =>
            p is SourceProtocol.Http or SourceProtocol.Mqtt && d.Group is { } g && groups.Contains(g.GroupId);
        var funnel = new RecordingDeviceService("funnel", (d, p) => Takes(s_funnelGroups, d, p));
        var harvest = new RecordingDeviceService("harvest", (d, p) => Takes(s_harvestGroups, d, p));
        var gateway = new GatewayProcess
        {
            ConfigureServices = s =>
            {
                s.AddSingleton<IDeviceService>(funnel);
                s.AddSingleton<IDeviceService>(harvest);
            },
        };
        const string seed = """
            {
              "groups": [
                { "groupId": "d-funnel" },
                { "groupId": "d-both" },
                { "groupId": "d-unified", "configuration": { "UnifiedEndpoint": { "response": { "format": "Unified" }, "enabled": true } } },
                { "groupId": "d-named", "configuration": { "UnifiedEndpoint": { "response": { "format": "SoracomHarvest" } } } },
                { "groupId": "d-none" }
              ],
              "subscribers": [
                { "imsi": "440109999000070", "groupId": "d-funnel", "ipAddress": "127.0.0.1" },
                { "imsi": "440109999000071", "groupId": "d-funnel", "ipAddress": "127.0.0.71" },
                { "imsi": "440109999000072", "groupId": "d-both", "ipAddress": "127.0.0.72" },
                { "imsi": "440109999000073", "groupId": "d-unified", "ipAddress": "127.0.0.73" },
                { "imsi": "440109999000074", "groupId": "d-none", "ipAddress": "127.0.0.74" },
                { "imsi": "440109999000075", "groupId": "d-named", "ipAddress": "127.0.0.75" }
              ]
            }
            """;
        var path = Path.Combine(gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed);
        await gateway.StartAsync("--registry", path);
        return new DeviceFixture(gateway, funnel, harvest);
    }

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
