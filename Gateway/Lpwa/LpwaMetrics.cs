using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Registry;

namespace Gateway.Lpwa;

/// <summary>
/// LPWA counters: <c>gateway.lpwa.uplinks</c>, one per request a network server makes, tagged with the
/// integration type (<c>chirpstack</c>, <c>tts</c>, <c>sigfox</c>) and the result.
/// </summary>
internal static class LpwaMetrics
{
    public const string MeterName = "Gateway.Lpwa";
    public const string UplinksName = "gateway.lpwa.uplinks";

    public const string Ok = "ok";
    public const string Ignored = "ignored_event";
    public const string UnknownIntegration = "unknown_integration";
    public const string Unauthorized = "unauthorized";
    public const string Malformed = "malformed";
    public const string TooLarge = "too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string NoEntry = "no_entry";
    public const string UpstreamErrorStatus = "upstream_error_status";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_uplinks = s_meter.CreateCounter<long>(
        UplinksName, description: "Uplinks posted by LPWA network servers, by integration type and result.");

    private static readonly Histogram<double> s_request = s_meter.CreateHistogram<double>(
        "gateway.lpwa.request.duration", unit: "s",
        description: "From an uplink's body read to its answer being written, for uplinks that reached the pipeline, by integration type.");

    // Tag values made once per network, not per message.
    private static readonly string[] s_types = ["chirpstack", "tts", "sigfox"];

    public static string Tag(LpwaNetwork network) => s_types[(int)network];

    public static string Refused(RefusalReason reason) => reason switch
    {
        RefusalReason.Inactive => "refused_inactive",
        RefusalReason.ImeiMismatch => "refused_imei_lock",
        _ => "unknown_device",
    };

    /// <summary>One uplink's time through the pipeline and back, from <see cref="Stopwatch.GetTimestamp"/> when it arrived.</summary>
    public static void RequestDuration(LpwaNetwork network, long startedTimestamp)
    {
        // Unobserved (metrics off), the clock is not read a second time.
        if (s_request.Enabled)
        {
            s_request.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("type", Tag(network)));
        }
    }

    public static void Count(LpwaNetwork network, string result) =>
        s_uplinks.Add(1, new KeyValuePair<string, object?>("type", Tag(network)), new KeyValuePair<string, object?>("result", result));
}
