namespace Gateway.Pipeline;

/// <summary>
/// How the unified endpoint answers a device (the group's <c>UnifiedEndpoint.response.format</c>): Auto (one
/// service → its own reply, several → Unified), Unified (always <c>{"result":…,"detail":{…}}</c>), or one named
/// service's own reply whatever else the group enables.
/// </summary>
internal sealed class UnifiedResponseFormat
{
    private UnifiedResponseFormat(string? service, bool alwaysUnified)
    {
        Service = service;
        AlwaysUnified = alwaysUnified;
    }

    /// <summary>SORACOM's default.</summary>
    public static UnifiedResponseFormat Auto { get; } = new(null, alwaysUnified: false);

    public static UnifiedResponseFormat Unified { get; } = new(null, alwaysUnified: true);

    /// <summary>Always the reply of the service with this <see cref="IDeviceService.Name"/>; the others still get the message.</summary>
    public static UnifiedResponseFormat Of(string service) => new(service, alwaysUnified: false);

    /// <summary>The named service (<c>beam</c>, <c>funnel</c>, <c>harvest</c>), or null for Auto and Unified.</summary>
    public string? Service { get; }

    public bool AlwaysUnified { get; }

    public override string ToString() => Service ?? (AlwaysUnified ? "Unified" : "Auto");
}
