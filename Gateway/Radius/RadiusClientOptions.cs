namespace Gateway.Radius;

/// <summary>One RADIUS client (a NAS, P-GW or GGSN) allowed to send accounting, and the secret it shares with the gateway.</summary>
internal sealed class RadiusClientOptions
{
    /// <summary>The client's source address (<c>192.0.2.10</c>) or a CIDR range of them (<c>10.0.0.0/8</c>); the most specific match wins.</summary>
    public string Address { get; set; } = "";

    /// <summary>The shared secret (RFC 2865 §3). Never logged.</summary>
    public string Secret { get; set; } = "";
}
