namespace Gateway.Lpwa;

/// <summary>
/// LPWA ingestion settings (section <c>Gateway:Lpwa</c>), validated by <see cref="LpwaOptionsValidator"/>: the
/// listener network servers call, the operator ID sent upstream, and the integrations allowed to call.
/// </summary>
internal sealed class LpwaOptions
{
    public const string SectionName = "Gateway:Lpwa";

    /// <summary>
    /// The listener for network-server webhooks (<c>--lpwa-port</c>). 0 (default) turns LPWA ingestion off. It binds
    /// to <c>Gateway:Beam:ListenAddress</c>; it is a port of its own so that neither devices (HTTP entry point) nor
    /// administrators (admin API) share it with network servers.
    /// </summary>
    public int Port { get; set; }

    /// <summary>
    /// Sent upstream as <c>x-soracom-operator-id</c> on every LoRaWAN and Sigfox request. Default: the admin API's
    /// <c>Gateway:Admin:OperatorId</c> (itself <c>OP0000000000</c> by default).
    /// </summary>
    public string? OperatorId { get; set; }

    /// <summary>The network-server integrations allowed to post uplinks, each with its own secret.</summary>
    public IList<LpwaIntegrationOptions> Integrations { get; } = [];
}
