using System.Diagnostics.Metrics;

namespace Gateway.ProxyProtocol;

/// <summary>Connections from trusted proxies closed for their PROXY header, by reason and entry point.</summary>
/// <remarks>
/// The meter comes from the host's <see cref="IMeterFactory"/>, so it belongs to one gateway instance: exporters
/// still find it by name, and a listener can tell this instance's refusals from another's in the same process
/// (<see cref="Meter.Scope"/> is the factory).
/// </remarks>
internal sealed class ProxyProtocolMetrics
{
    public const string MeterName = "Gateway.ProxyProtocol";
    private readonly Counter<long> _rejected;

    public ProxyProtocolMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _rejected = meters.Create(MeterName).CreateCounter<long>(
            "gateway.proxy_protocol.rejected",
            description: "Connections from a trusted proxy closed because their PROXY header was missing, malformed, truncated, oversized or of an unsupported family.");
    }

    public void Rejected(ProxyRejectReason reason, string entryPoint) =>
        _rejected.Add(1, new KeyValuePair<string, object?>("reason", Tag(reason)), new KeyValuePair<string, object?>("entry_point", entryPoint));

    public static string Tag(ProxyRejectReason reason) => reason switch
    {
        ProxyRejectReason.Missing => "missing",
        ProxyRejectReason.Malformed => "malformed",
        ProxyRejectReason.Truncated => "truncated",
        ProxyRejectReason.Oversized => "oversized",
        _ => "unsupported_family",
    };
}
