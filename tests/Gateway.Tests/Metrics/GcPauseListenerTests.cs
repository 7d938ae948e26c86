using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Metrics;

namespace Gateway.Tests.Metrics;

/// <summary>
/// <c>gateway.gc.pause</c> records this process's own collections: a forced full collection shows up as a pause of
/// generation 2, with a positive duration, through the same meter the exporter reads.
/// </summary>
public sealed class GcPauseListenerTests
{
    [Fact]
    public async Task A_forced_full_collection_is_recorded_as_a_generation_2_pause()
    {
        var pauses = new ConcurrentQueue<(double Seconds, string? Generation)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = static (instrument, l) =>
        {
            if (instrument.Meter.Name == GcPauseListener.MeterName && instrument.Name == "gateway.gc.pause")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? generation = null;
            foreach (var tag in tags)
            {
                generation = tag.Key == "generation" ? tag.Value as string : generation;
            }

            pauses.Enqueue((value, generation));
        });
        meters.Start();

        GcPauseListener.EnsureStarted();
        // Runtime events reach a listener through a dispatch thread, a little after the collection: force collections
        // until one arrives, for at most 20 s.
        for (var i = 0; i < 200 && !pauses.Any(static p => p.Generation == "2"); i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var full = pauses.Where(static p => p.Generation == "2").ToList();
        Assert.NotEmpty(full);
        Assert.All(full, static p => Assert.InRange(p.Seconds, 0, 5));
        Assert.Contains(full, static p => p.Seconds > 0);
    }

    [Fact]
    public void A_negative_span_is_not_recorded()
    {
        var recorded = 0;
        using var meters = new MeterListener();
        meters.InstrumentPublished = static (instrument, l) =>
        {
            if (instrument.Meter.Name == GcPauseListener.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref recorded));
        meters.Start();

        GcPauseListener.Record(TimeSpan.FromMilliseconds(-1), 0);
        GcPauseListener.Record(TimeSpan.FromMilliseconds(2), 7);

        Assert.Equal(1, recorded);
    }
}
