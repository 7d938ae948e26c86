namespace Gateway.Spool;

/// <summary>One delivery attempt of a spooled record.</summary>
internal enum SpoolOutcome
{
    Delivered,

    /// <summary>Transient: try again after a backoff, until the record expires.</summary>
    Retry,

    /// <summary>The destination refused it for good: dropped, counted, logged.</summary>
    Permanent,

    /// <summary>Its group no longer queues to a usable destination: dropped, counted, logged.</summary>
    Unconfigured,
}
