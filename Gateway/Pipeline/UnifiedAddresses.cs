using System.Net;

namespace Gateway.Pipeline;

/// <summary>
/// Which service a device addresses on the unified port (23080), told by the gateway address it sent to. SORACOM
/// tells <c>beam.</c>, <c>funnel.</c> and <c>uni.soracom.io</c> apart by host name on one port; a self-hosted
/// gateway gets the same effect when private DNS gives each name an address of its own
/// (<c>Gateway:Beam:UnifiedServiceAddresses:funnel=10.0.0.3</c>). Traffic to any other address (the listen address)
/// is the unified endpoint: every service the group enables. Harvest's own port (<c>Gateway:Beam:HarvestPort</c>, as
/// SORACOM's <c>harvest.soracom.io:8514</c>) is the same idea by port: what arrives there is for Harvest alone.
/// </summary>
internal sealed class UnifiedAddresses
{
    /// <summary>Services a unified-port address may be given to.</summary>
    public static readonly IReadOnlyList<string> KnownServices = ["beam", "funnel", "harvest"];

    private readonly Dictionary<IPAddress, string> _byAddress = [];
    private readonly int _harvestPort;

    /// <param name="harvestPort">Harvest's own port, 0 when off.</param>
    public UnifiedAddresses(IReadOnlyDictionary<string, string> serviceAddresses, int harvestPort = 0)
    {
        ArgumentNullException.ThrowIfNull(serviceAddresses);
        _harvestPort = harvestPort;
        foreach (var (service, address) in serviceAddresses)
        {
            if (IPAddress.TryParse(address, out var ip))
            {
                _byAddress[Net.AddressRanges.Unmap(ip)] = service;
            }
        }
    }

    /// <summary>The addresses with a service of their own, each bound besides the listen address.</summary>
    public IEnumerable<(IPAddress Address, string Service)> Bindings => _byAddress.Select(static p => (p.Key, p.Value));

    /// <summary>The one service a connection to <paramref name="local"/> is for: Harvest on its own port, else by address.</summary>
    public string? ServiceForEndPoint(IPEndPoint? local) =>
        _harvestPort != 0 && local?.Port == _harvestPort ? "harvest" : ServiceFor(local?.Address);

    /// <summary>The one service a message to <paramref name="local"/> goes to, or null for the unified endpoint.</summary>
    public string? ServiceFor(IPAddress? local) =>
        local is not null && _byAddress.Count > 0 && _byAddress.TryGetValue(Net.AddressRanges.Unmap(local), out var service) ? service : null;

    /// <summary>The refusal a device gets when the service it addressed (or none, for the unified endpoint) does not take its messages.</summary>
    public static string NoServiceReason(string? service, string protocol) => service switch
    {
        null or "beam" => $"no Beam {protocol} entry for this device's group",
        "funnel" => "Funnel is not enabled for this device's group",
        "harvest" => "Harvest is not enabled for this device's group",
        _ => $"{service} is not enabled for this device's group",
    };
}
