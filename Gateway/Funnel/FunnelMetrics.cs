using System.Diagnostics.Metrics;

namespace Gateway.Funnel;

/// <summary>
/// Meter <c>Gateway.Funnel</c>. Every instrument is tagged with the destination's kind (<c>provider/service</c>) only:
/// never its URL, topic or credentials.
/// </summary>
internal static class FunnelMetrics
{
    public const string MeterName = "Gateway.Funnel";
    private static readonly Meter s_meter = new(MeterName);

    public static readonly Counter<long> Sent = s_meter.CreateCounter<long>(
        "gateway.funnel.sent", description: "Messages a destination accepted.");

    public static readonly Counter<long> Failed = s_meter.CreateCounter<long>(
        "gateway.funnel.failed", description: "Messages that were not delivered, by destination and outcome (transient once the deadline passed, permanent, refused).");

    public static readonly Counter<long> Retried = s_meter.CreateCounter<long>(
        "gateway.funnel.retried", description: "Retries after a transient failure.");

    /// <summary>Seconds, as Prometheus and OpenTelemetry's conventions expect of a duration.</summary>
    public static readonly Histogram<double> Duration = s_meter.CreateHistogram<double>(
        "gateway.funnel.delivery.duration", unit: "s", description: "From the message's hand-over to its final result, retries included, by destination and outcome.");

    public static KeyValuePair<string, object?> Destination(string kind) => new("destination", kind);

    public static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);
}
