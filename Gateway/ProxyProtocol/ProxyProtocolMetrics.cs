using System.Diagnostics.Metrics;

namespace Gateway.ProxyProtocol;

/// <summary>Connections from trusted proxies closed for their PROXY header, by reason and entry point.</summary>
internal static class ProxyProtocolMetrics
{
    public const string MeterName = "Gateway.ProxyProtocol";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_rejected = s_meter.CreateCounter<long>(
        "gateway.proxy_protocol.rejected",
        description: "Connections from a trusted proxy closed because their PROXY header was missing, malformed, truncated, oversized or of an unsupported family.");

    public static void Rejected(ProxyRejectReason reason, string entryPoint) =>
        s_rejected.Add(1, new KeyValuePair<string, object?>("reason", Tag(reason)), new KeyValuePair<string, object?>("entry_point", entryPoint));

    public static string Tag(ProxyRejectReason reason) => reason switch
    {
        ProxyRejectReason.Missing => "missing",
        ProxyRejectReason.Malformed => "malformed",
        ProxyRejectReason.Truncated => "truncated",
        ProxyRejectReason.Oversized => "oversized",
        _ => "unsupported_family",
    };
}
