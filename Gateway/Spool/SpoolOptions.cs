namespace Gateway.Spool;

/// <summary>
/// Settings of the local spools behind <c>queued</c> delivery (section <c>Gateway:Spool</c>), checked at start by
/// <see cref="SpoolOptionsValidator"/>. Each service that queues (Funnel, Harvest) has a spool of its own under
/// <see cref="Directory"/>, and each spool is bounded by these limits on its own.
/// </summary>
internal sealed class SpoolOptions
{
    public const string SectionName = "Gateway:Spool";

    /// <summary>Where the spools live; default <c>&lt;data directory&gt;/spool</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>
    /// When a device is acknowledged: <c>always</c> (after the fsync that covers its record: writers that arrive during
    /// one fsync share the next), <c>interval</c> (after the next fsync, made at most every
    /// <see cref="FsyncIntervalMilliseconds"/>: fewer, larger fsyncs), <c>none</c> (after the write to the operating
    /// system: survives the gateway being killed, not the machine losing power).
    /// </summary>
    public string Fsync { get; set; } = "always";

    public int FsyncIntervalMilliseconds { get; set; } = 10;

    /// <summary>Size at which a segment file is closed and the next begun; also the largest record.</summary>
    public int SegmentBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most bytes on disk per spool; then <see cref="WhenFull"/> applies.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>A message older than this (from when it was spooled) is dropped, counted, instead of delivered.</summary>
    public int MaxAgeHours { get; set; } = 72;

    /// <summary><c>refuse</c>: new messages get 503 while the spool is full; <c>drop-oldest</c>: the oldest segment is dropped (counted) to make room.</summary>
    public string WhenFull { get; set; } = "refuse";

    /// <summary>Messages being delivered (or waiting to retry) at once per spool.</summary>
    public int MaxInFlight { get; set; } = 256;

    public int RetryBaseDelayMilliseconds { get; set; } = 200;

    public int RetryMaxDelayMilliseconds { get; set; } = 10_000;

    internal SpoolFsync FsyncPolicy => Fsync switch
    {
        "interval" => SpoolFsync.Interval,
        "none" => SpoolFsync.None,
        _ => SpoolFsync.Always,
    };

    internal bool DropOldest => WhenFull == "drop-oldest";
}
