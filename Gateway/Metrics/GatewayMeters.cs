namespace Gateway.Metrics;

/// <summary>Every meter the gateway exports; a meter left out of this list is not exported (the tests check the list).</summary>
internal static class GatewayMeters
{
    /// <summary>The gateway's own meters.</summary>
    public static readonly string[] Own =
    [
        Beam.BeamMetrics.MeterName,
        Devices.DeviceMetrics.MeterName,
        Delivery.DeliveryMetrics.MeterName,
        Funnel.FunnelMetrics.MeterName,
        Lpwa.LpwaMetrics.MeterName,
        Radius.RadiusMetrics.MeterName,
        Spool.SpoolMetrics.MeterName,
        Registry.IdentityResolver.MeterName,
        Hosting.DescriptorBudget.MeterName,
        ProxyProtocol.ProxyProtocolMetrics.MeterName,
        GcPauseListener.MeterName,
        "Gateway.BinaryParser", // BinaryParserMetrics.MeterName, internal to its library
    ];

    /// <summary>The platform's meters that cost nothing per device message: connections and the runtime.</summary>
    public static readonly string[] Platform =
    [
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Runtime",
    ];

    /// <summary>ASP.NET Core's per-request meter, exported only when <see cref="MetricsOptions.HttpServerRequests"/> is on.</summary>
    public const string AspNetCoreHosting = "Microsoft.AspNetCore.Hosting";

    /// <summary>
    /// Bucket bounds for the latency histograms (seconds): from half a millisecond, where a loopback delivery answers,
    /// to ten seconds, past every default deadline. The SDK's default bounds are meant for milliseconds.
    /// </summary>
    public static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
}
