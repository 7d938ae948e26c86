namespace Gateway.Tests.Devices;

/// <summary>Counts the device entry points' measurements (messages or MQTT connections) for one entry point and result, in this process.</summary>
internal sealed class DeviceResultCounter : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private int _count;

    public DeviceResultCounter(string entryPoint, string result, string instrumentName = "gateway.devices.messages")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == global::Gateway.Devices.DeviceMetrics.MeterName && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var (entryMatches, resultMatches) = (false, false);
            foreach (var tag in tags)
            {
                entryMatches |= tag.Key == "entry_point" && Equals(tag.Value, entryPoint);
                resultMatches |= tag.Key == "result" && Equals(tag.Value, result);
            }

            if (entryMatches && resultMatches)
            {
                Interlocked.Increment(ref _count);
            }
        });
        _listener.Start();
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
