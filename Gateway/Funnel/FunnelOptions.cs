namespace Gateway.Funnel;

/// <summary>Funnel's process settings (section <c>Gateway:Funnel</c>), validated at start by <see cref="FunnelOptionsValidator"/>.</summary>
internal sealed class FunnelOptions
{
    public const string SectionName = "Gateway:Funnel";

    /// <summary>The envelope's <c>operatorId</c>; defaults to <c>Gateway:Admin:OperatorId</c>, else <c>OP0000000000</c>.</summary>
    public string? OperatorId { get; set; }

    /// <summary>How long a message may take from arrival to the destination's acceptance, retries included.</summary>
    public int DeliveryTimeoutSeconds { get; set; } = 30;

    /// <summary>Sends in flight at once to one destination (one adapter).</summary>
    public int MaxConcurrencyPerDestination { get; set; } = 64;

    /// <summary>Messages waiting for one destination; more are refused with 503 at once.</summary>
    public int QueueCapacityPerDestination { get; set; } = 4096;

    /// <summary>How long a batch may wait for more messages before it is sent (adapters that take batches only).</summary>
    public double BatchWindowMilliseconds { get; set; } = 1;

    /// <summary>The first retry's delay; each next one doubles, with jitter, up to <see cref="RetryMaxDelayMilliseconds"/>.</summary>
    public int RetryBaseDelayMilliseconds { get; set; } = 50;

    public int RetryMaxDelayMilliseconds { get; set; } = 2000;

    /// <summary>Error-log entries kept (all devices together); the oldest go first.</summary>
    public int ErrorLogCapacity { get; set; } = 10_000;

    /// <summary>How long an error-log entry is kept.</summary>
    public int ErrorLogRetentionMinutes { get; set; } = 1440;
}
