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
        "gateway.spool.depth", static () => PerName(static s => s.Depth, Enumerable.Sum), description: "Messages spooled and not yet delivered or dropped.");

    public static readonly ObservableGauge<long> Size = s_meter.CreateObservableGauge(
        "gateway.spool.size", static () => PerName(static s => s.Bytes, Enumerable.Sum), unit: "By", description: "Bytes of the spool's segment files.");

    public static readonly ObservableGauge<double> OldestAge = s_meter.CreateObservableGauge(
        "gateway.spool.oldest.age", static () => PerName(static s => s.OldestAgeSeconds(), Enumerable.Max), unit: "s", description: "Age of the oldest message not yet delivered.");

    public static KeyValuePair<string, object?> Tag(string spool) => new("spool", spool);

    /// <summary>
    /// One measurement per spool name, over every open spool of that name: an exporter keeps only the last of several
    /// measurements with the same tags, so one per spool would let another spool of the name (a second gateway host in
    /// the same process, as in the tests) hide this one's figure. A gateway process has one spool per name.
    /// </summary>
    private static IEnumerable<Measurement<T>> PerName<T>(Func<DurableSpool, T> value, Func<IEnumerable<T>, T> combine)
        where T : struct =>
        s_open.Keys.GroupBy(static s => s.Name).Select(g => new Measurement<T>(combine(g.Select(value)), Tag(g.Key)));

    public static KeyValuePair<string, object?> Reason(string reason) => new("reason", reason);

    internal static void Track(DurableSpool spool) => s_open[spool] = true;

    internal static void Untrack(DurableSpool spool) => s_open.TryRemove(spool, out _);
}
