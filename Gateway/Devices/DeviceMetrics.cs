using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Devices;

/// <summary>Counters of the device-service entry points (HTTP by Host, MQTT, MQTT over WebSocket): one per message or refusal, by entry point and result.</summary>
internal static class DeviceMetrics
{
    public const string MeterName = "Gateway.Devices";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_messages = s_meter.CreateCounter<long>(
        "gateway.devices.messages", description: "Messages and refusals at the device-service entry points, by entry point and result.");

    private static readonly Counter<long> s_connections = s_meter.CreateCounter<long>(
        "gateway.devices.mqtt.connections", description: "MQTT CONNECTs to the pipeline endpoint, by entry point and result.");

    private static readonly Histogram<double> s_request = s_meter.CreateHistogram<double>(
        "gateway.devices.request.duration", unit: "s",
        description: "From a request or PUBLISH arriving to its reply being written (HTTP) or acknowledged (MQTT), for messages that reached the pipeline, by entry point.");

    /// <summary>One message's time through the pipeline and back, from <see cref="Stopwatch.GetTimestamp"/> when it arrived.</summary>
    public static void RequestDuration(string entryPoint, long startedTimestamp)
    {
        // Unobserved (metrics off), the clock is not read a second time.
        if (s_request.Enabled)
        {
            s_request.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("entry_point", entryPoint));
        }
    }

    public static void Count(string entryPoint, string result) =>
        s_messages.Add(1, new KeyValuePair<string, object?>("entry_point", entryPoint), new KeyValuePair<string, object?>("result", result));

    public static void Connection(string entryPoint, string result) =>
        s_connections.Add(1, new KeyValuePair<string, object?>("entry_point", entryPoint), new KeyValuePair<string, object?>("result", result));
}
