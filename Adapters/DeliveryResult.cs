namespace Gateway.Adapters;

/// <summary>
/// The result for one message of a batch: the outcome, an HTTP-style status for the device's reply (200 when
/// delivered; the destination's, or 502/503/504 for the gateway's own failures) and a reason an operator can act on.
/// Reasons never contain secrets.
/// </summary>
public readonly record struct DeliveryResult(DeliveryOutcome Outcome, int Status, string? Reason)
{
    /// <summary>Delivered, status 200.</summary>
    public static DeliveryResult Ok { get; } = new(DeliveryOutcome.Delivered, 200, null);

    /// <summary>A failure worth retrying.</summary>
    public static DeliveryResult Transient(int status, string reason) => new(DeliveryOutcome.Transient, status, reason);

    /// <summary>A failure not worth retrying.</summary>
    public static DeliveryResult Permanent(int status, string reason) => new(DeliveryOutcome.Permanent, status, reason);
}
