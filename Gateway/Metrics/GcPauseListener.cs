using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace Gateway.Metrics;

/// <summary>
/// How long the garbage collector stopped the process, one histogram entry per pause
/// (<c>gateway.gc.pause{generation}</c>, seconds). The runtime's own meter exports only the total pause time
/// (<c>dotnet.gc.pause.time</c>), which hides the one 40 ms pause behind a thousand 0.1 ms ones; the tail of every
/// latency histogram here is mostly these pauses (docs/performance.md, "Server or workstation garbage collector"), so
/// an operator choosing a GC mode needs their distribution.
/// A pause runs from the runtime's "suspend begin" to its "restart end" event (the same span profilers call the
/// pause); its generation is that of the last collection started inside it. Only the GC keyword at informational
/// level is enabled: a few events per collection, none per allocation.
/// </summary>
internal sealed class GcPauseListener : EventListener
{
    public const string MeterName = "Gateway.Runtime";

    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    // Event IDs of the runtime's GC events (GCStart_V2, GCRestartEEEnd_V1, GCSuspendEEBegin_V1).
    private const int GcStart = 1;
    private const int RestartEnd = 3;
    private const int SuspendBegin = 9;

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Histogram<double> s_pause = s_meter.CreateHistogram<double>(
        "gateway.gc.pause", unit: "s",
        description: "Each time the garbage collector stopped the process, from suspension to restart, by the generation it collected.");

    private static readonly object[] s_generations = ["0", "1", "2", "none"];

    // Written and read only on the listener's dispatch thread, which delivers the runtime's events in order.
    private DateTime _suspendedAt;
    private int _generation = -1;

    // One per process, for the process's life: the pauses are the process's, so a second gateway host in the same
    // process (the tests run many) must not record each pause again, and a host that stops must not end the recording
    // for another that still runs.
    private static readonly Lazy<GcPauseListener> s_process = new(static () => new GcPauseListener());

    private GcPauseListener()
    {
    }

    /// <summary>Starts recording this process's pauses, once; later calls do nothing.</summary>
    public static void EnsureStarted() => _ = s_process.Value;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventId)
        {
            case SuspendBegin:
                _suspendedAt = eventData.TimeStamp;
                _generation = -1;
                break;
            case GcStart when eventData.Payload is { Count: > 1 } payload && payload[1] is uint depth:
                _generation = (int)Math.Min(depth, 2);
                break;
            case RestartEnd when _suspendedAt != default:
                Record(eventData.TimeStamp - _suspendedAt, _generation);
                _suspendedAt = default;
                break;
        }
    }

    internal static void Record(TimeSpan pause, int generation)
    {
        if (pause < TimeSpan.Zero)
        {
            return;
        }

        s_pause.Record(pause.TotalSeconds, new KeyValuePair<string, object?>("generation", s_generations[generation is >= 0 and <= 2 ? generation : 3]));
    }
}
