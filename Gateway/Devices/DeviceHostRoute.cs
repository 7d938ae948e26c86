namespace Gateway.Devices;

/// <summary>
/// Which service a request to the HTTP device listener addresses, by the first label of its Host: the devices use
/// SORACOM's names (<c>funnel.soracom.io</c>, <c>uni.soracom.io</c>) resolved by private DNS to this listener. One
/// row per name. Anything else,
/// an IP literal included, is the unified endpoint, as SORACOM's own fallback address would be.
/// </summary>
internal sealed record DeviceHostRoute(string EntryPoint, string? OnlyService)
{
    public static DeviceHostRoute Funnel { get; } = new("funnel-http", "funnel");

    public static DeviceHostRoute Unified { get; } = new("unified-http", null);

    /// <summary>Harvest Data: its own request rules (more content types, <c>X-Soracom-Timestamp</c>) and 400 when not enabled.</summary>
    public static DeviceHostRoute Harvest { get; } = new("harvest-http", "harvest");

    /// <summary>The metadata service: a request/response API of its own, served by an <see cref="IDeviceHostHandler"/>, not the pipeline.</summary>
    public static DeviceHostRoute Metadata { get; } = new("metadata-http", "metadata");

    /// <summary>Endorse, the token issuer: like <see cref="Metadata"/>, served by its own handler.</summary>
    public static DeviceHostRoute Endorse { get; } = new("endorse-http", "endorse");

    private static readonly (string Label, DeviceHostRoute Route)[] s_table =
    [
        ("funnel", Funnel),
        ("harvest", Harvest),
        ("metadata", Metadata),
        ("endorse", Endorse),
        ("uni", Unified),
        ("unified", Unified),
    ];

    /// <summary>The route for a Host header's host part (no port); the unified endpoint for an unknown or missing one.</summary>
    public static DeviceHostRoute Match(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return Unified;
        }

        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var label = dot < 0 ? host.AsSpan() : host.AsSpan(0, dot);
        foreach (var (name, route) in s_table)
        {
            if (label.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return route;
            }
        }

        return Unified;
    }
}
