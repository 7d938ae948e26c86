using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gateway.Spool;

/// <summary>
/// Meter <c>Gateway.Spool</c>, every instrument tagged <c>spool</c> = the service that queues (<c>funnel</c>,
/// <c>harvest</c>). The gauges read the open spools when scraped.
/// </summary>
internal static class SpoolMetrics
{
    public const string MeterName = "Gateway.Spool";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly ConcurrentDictionary<DurableSpool, bool> s_open = new();

    public static readonly Counter<long> Appended = s_meter.CreateCounter<long>(
        "gateway.spool.appended", description: "Messages written to the spool (their devices were acknowledged).");

    public static readonly Counter<long> Refused = s_meter.CreateCounter<long>(
        "gateway.spool.refused", description: "Messages refused because the spool was full (WhenFull=refuse) or the write failed, by reason.");

    public static readonly Counter<long> Delivered = s_meter.CreateCounter<long>(
        "gateway.spool.delivered", description: "Spooled messages their destination accepted.");

    public static readonly Counter<long> Retried = s_meter.CreateCounter<long>(
        "gateway.spool.retried", description: "Delivery attempts of spooled messages that failed transiently and were retried.");

    public static readonly Counter<long> Dropped = s_meter.CreateCounter<long>(
        "gateway.spool.dropped", description: "Spooled messages given up, by reason: full (drop-oldest), expired (MaxAgeHours), permanent (the destination refused them), unconfigured (the group no longer queues there), corrupt.");

    public static readonly Counter<long> CorruptTails = s_meter.CreateCounter<long>(
        "gateway.spool.corrupt", description: "Torn or corrupt record tails found (by length and CRC) and cut off when a segment was replayed.");

    public static readonly Histogram<double> FsyncDuration = s_meter.CreateHistogram<double>(
        "gateway.spool.fsync.duration", unit: "s", description: "One fsync of a group of appends.");

    public static readonly ObservableGauge<long> Depth = s_meter.CreateObservableGauge(
        "gateway.spool.depth", static () => s_open.Keys.Select(static s => new Measurement<long>(s.Depth, Tag(s.Name))), description: "Messages spooled and not yet delivered or dropped.");

    public static readonly ObservableGauge<long> Size = s_meter.CreateObservableGauge(
        "gateway.spool.size", static () => s_open.Keys.Select(static s => new Measurement<long>(s.Bytes, Tag(s.Name))), unit: "By", description: "Bytes of the spool's segment files.");

    public static readonly ObservableGauge<double> OldestAge = s_meter.CreateObservableGauge(
        "gateway.spool.oldest.age", static () => s_open.Keys.Select(static s => new Measurement<double>(s.OldestAgeSeconds(), Tag(s.Name))), unit: "s", description: "Age of the oldest message not yet delivered.");

    public static KeyValuePair<string, object?> Tag(string spool) => new("spool", spool);

    public static KeyValuePair<string, object?> Reason(string reason) => new("reason", reason);

    internal static void Track(DurableSpool spool) => s_open[spool] = true;

    internal static void Untrack(DurableSpool spool) => s_open.TryRemove(spool, out _);
}
