namespace Gateway.Sessions;

/// <summary>What the gateway keeps about device sessions in memory (section <c>Gateway:Sessions</c>).</summary>
internal sealed class SessionOptions
{
    public const string SectionName = "Gateway:Sessions";

    /// <summary>
    /// A device without a live connection counts as online for this long after it was last seen (a message, a request,
    /// a connection). Default 300 s: devices that report every few minutes stay online between reports.
    /// </summary>
    public int OnlineWindowSeconds { get; set; } = 300;
}
