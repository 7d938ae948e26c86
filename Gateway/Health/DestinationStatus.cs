namespace Gateway.Health;

/// <summary>
/// How one destination is doing, for operators: which service sends to it, what it is (a Beam upstream's
/// <c>scheme://host:port</c>, a Funnel adapter's kind and resource, the Harvest store), the counts and times of its
/// successes and failures, the last failure's reason (the gateway's own words or an adapter's, never a secret), and for
/// Funnel the messages waiting for it. Healthy while its last attempt succeeded.
/// </summary>
internal sealed record DestinationStatus(
    string Service, string Kind, string Destination, long Successes, long Failures, int ConsecutiveFailures,
    long? LastSuccessMs, long? LastFailureMs, string? LastFailure, int? Queued)
{
    public bool Healthy => ConsecutiveFailures == 0;
}
