using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Beam;

/// <summary>Beam counters: one per message, tagged with the entry point and the outcome.</summary>
internal static class BeamMetrics
{
    public const string MeterName = "Gateway.Beam";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_messages = s_meter.CreateCounter<long>(
        "gateway.beam.messages", description: "Messages handled by Beam entry points, by entry point and result.");

    private static readonly Histogram<double> s_upstream = s_meter.CreateHistogram<double>(
        "gateway.beam.upstream.duration", unit: "s", description: "Time from sending upstream to the response head.");

    private static readonly Histogram<double> s_request = s_meter.CreateHistogram<double>(
        "gateway.beam.request.duration", unit: "s",
        description: "From a message read at a message-style entry point (udp, tcp) to its reply handed to the transport, for messages that reached the pipeline.");

    /// <summary>The result tag for a refusal, made once per reason rather than per message.</summary>
    public static string Refused(Registry.RefusalReason reason) => Registry.RefusalTags.Refused(reason);

    public static void Count(string entryPoint, string result) =>
        s_messages.Add(1, new KeyValuePair<string, object?>("entry_point", entryPoint), new KeyValuePair<string, object?>("result", result));

    /// <summary>One message's time through the pipeline and back, from <see cref="Stopwatch.GetTimestamp"/> when it was read.</summary>
    public static void RequestDuration(string entryPoint, long startedTimestamp)
    {
        // Unobserved (metrics off), the clock is not read a second time.
        if (s_request.Enabled)
        {
            s_request.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("entry_point", entryPoint));
        }
    }

    public static void UpstreamDuration(string entryPoint, TimeSpan elapsed) =>
        s_upstream.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("entry_point", entryPoint));
}
