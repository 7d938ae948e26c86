namespace Gateway.Adapters;

/// <summary>What became of one message at a destination.</summary>
public enum DeliveryOutcome
{
    /// <summary>The destination accepted it (acknowledged, durably for the destination's own guarantees).</summary>
    Delivered,

    /// <summary>It may succeed later: unreachable, timed out, throttled, busy. The caller retries with backoff.</summary>
    Transient,

    /// <summary>It will never succeed as it is: refused, too large, unknown target, bad credentials. Not retried.</summary>
    Permanent,
}
