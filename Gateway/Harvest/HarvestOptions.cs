namespace Gateway.Harvest;

/// <summary>Process settings of Harvest Data (section <c>Gateway:Harvest</c>), checked at start by <see cref="HarvestOptionsValidator"/>.</summary>
internal sealed class HarvestOptions
{
    public const string SectionName = "Gateway:Harvest";

    /// <summary>Days an entry is kept, counted from its time. SORACOM's default is 40 (731 with a paid option).</summary>
    public int RetentionDays { get; set; } = 40;

    /// <summary>
    /// The largest message Harvest stores, in bytes as the device sent them. SORACOM's documented limit is 1 KB per
    /// write (spec §4.2, Q6: possibly raised since), so that is the default; raise it when devices need more.
    /// </summary>
    public int MaxEntryBytes { get; set; } = 1024;

    /// <summary>Messages waiting for the writer; beyond this a device gets 503 rather than the gateway growing.</summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Most entries written in one transaction.</summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>How often expired entries are deleted, in minutes.</summary>
    public int RetentionIntervalMinutes { get; set; } = 60;
}
