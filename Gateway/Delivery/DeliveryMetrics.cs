using System.Diagnostics.Metrics;

namespace Gateway.Delivery;

/// <summary>
/// Counters of the message-style HTTP deliveries: <c>gateway.delivery.requests</c> (one per request, by entry point
/// and outcome) and <c>gateway.delivery.upstream.duration</c> (sending to the response head, by entry point).
/// </summary>
internal static class DeliveryMetrics
{
    public const string MeterName = "Gateway.Delivery";
    public const string RequestsName = "gateway.delivery.requests";
    public const string Ok = "ok";
    public const string UpstreamErrorStatus = "upstream_error_status";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_requests = s_meter.CreateCounter<long>(
        RequestsName, description: "HTTP requests that delivered device messages, by entry point and outcome.");

    private static readonly Histogram<double> s_upstream = s_meter.CreateHistogram<double>(
        "gateway.delivery.upstream.duration", unit: "s", description: "Time from sending a device message upstream to the response head.");

    public static void Count(string entryPoint, string outcome) =>
        s_requests.Add(1, new KeyValuePair<string, object?>("entry_point", entryPoint), new KeyValuePair<string, object?>("result", outcome));

    public static void UpstreamDuration(string entryPoint, TimeSpan elapsed) =>
        s_upstream.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("entry_point", entryPoint));
}
