namespace Gateway.Tests.Beam;

/// <summary>Counts the Beam messages counter's measurements for one result, from any entry point in this process.</summary>
internal sealed class BeamResultCounter : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private int _count;

    public BeamResultCounter(string result)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == global::Gateway.Beam.BeamMetrics.MeterName && instrument.Name == "gateway.beam.messages")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result" && Equals(tag.Value, result))
                {
                    Interlocked.Increment(ref _count);
                }
            }
        });
        _listener.Start();
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
