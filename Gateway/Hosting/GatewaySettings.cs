using System.Net;
using Gateway.Admin;
using Gateway.Beam;
using Gateway.Devices;
using Gateway.Metrics;
using Gateway.ProxyProtocol;
using Gateway.Registry;

namespace Gateway.Hosting;

/// <summary>
/// The process settings the host needs before its container exists (ports, listeners, the registry's store and seed),
/// read and checked together so that a start is refused with every error listed at once.
/// </summary>
internal sealed record GatewaySettings(
    int AdminPort, IPAddress AdminAddress, AdminOptions Admin, BeamOptions Beam, int LpwaPort, DeviceEndpointOptions Devices, RegistryOptions Registry, RegistryDocument? Seed, MetricsOptions Metrics,
    ProxyProtocolOptions ProxyProtocol)
{
    /// <summary>The settings, or null with <paramref name="errors"/> saying why each one is wrong.</summary>
    public static GatewaySettings? Read(IConfiguration configuration, List<string> errors)
    {
        var adminPort = configuration.GetValue("Gateway:AdminPort", 9080);
        if (adminPort is < 1 or > 65535)
        {
            errors.Add($"Gateway:AdminPort must be between 1 and 65535 (was {adminPort}).");
        }

        var adminAddress = configuration.GetValue("Gateway:AdminAddress", "127.0.0.1")!;
        if (!IPAddress.TryParse(adminAddress, out var adminIp))
        {
            errors.Add($"Gateway:AdminAddress must be an IP address (was '{adminAddress}').");
        }

        var admin = Bind<AdminOptions>(configuration, "Gateway:Admin");
        errors.AddRange(admin.Validate());
        var beam = Bind<BeamOptions>(configuration, "Gateway:Beam");
        errors.AddRange(beam.Validate());
        if (beam.DevicePorts.Contains(adminPort))
        {
            errors.Add($"Gateway:AdminPort {adminPort} is also a device port.");
        }

        // LPWA ingestion: its options are validated at start by AddLpwaIngestion; only the port is needed here.
        var lpwaPort = configuration.GetValue("Gateway:Lpwa:Port", 0);
        if (lpwaPort != 0 && (lpwaPort == adminPort || beam.DevicePorts.Contains(lpwaPort)))
        {
            errors.Add($"Gateway:Lpwa:Port {lpwaPort} is also the admin port or a device port.");
        }

        var devices = DeviceEndpointOptions.Bind(configuration, errors, adminPort, beam.DevicePorts, lpwaPort);
        var registry = Bind<RegistryOptions>(configuration, "Gateway:Registry");
        errors.AddRange(registry.Validate());
        var metrics = Bind<MetricsOptions>(configuration, MetricsOptions.Section);
        errors.AddRange(metrics.Validate());
        var proxyProtocol = Bind<ProxyProtocolOptions>(configuration, ProxyProtocolOptions.Section);
        errors.AddRange(proxyProtocol.Validate());
        RegistryDocument? seed = null;
        if (errors.Count == 0 && registry.SeedFile is { Length: > 0 } seedFile)
        {
            seed = RegistrySeedFile.Load(seedFile, errors);
        }

        return errors.Count == 0 ? new GatewaySettings(adminPort, adminIp!, admin, beam, lpwaPort, devices, registry, seed, metrics, proxyProtocol) : null;
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }
}
