using System.Diagnostics.Metrics;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>
/// Counts <c>gateway.proxy_protocol.rejected</c> for one reason on one entry point of one gateway: the one whose
/// <see cref="IMeterFactory"/> is given (its meter's scope), so that another gateway's refusals in this process, from
/// tests running alongside, are never counted.
/// </summary>
internal sealed class RejectionCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private int _count;

    public RejectionCounter(string reason, string entryPoint, IMeterFactory gateway)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, gateway)
                && instrument.Meter.Name == global::Gateway.ProxyProtocol.ProxyProtocolMetrics.MeterName && instrument.Name == "gateway.proxy_protocol.rejected")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? r = null, e = null;
            foreach (var tag in tags)
            {
                (r, e) = tag.Key switch
                {
                    "reason" => (tag.Value as string, e),
                    "entry_point" => (r, tag.Value as string),
                    _ => (r, e),
                };
            }

            if (r == reason && e == entryPoint)
            {
                Interlocked.Add(ref _count, (int)value);
            }
        });
        _listener.Start();
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>True once something was counted (the gateway counts just after closing, so a test may get there first).</summary>
    public async Task<bool> WaitAsync()
    {
        for (var i = 0; i < 100 && Count == 0; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return Count > 0;
    }

    public void Dispose() => _listener.Dispose();
}
