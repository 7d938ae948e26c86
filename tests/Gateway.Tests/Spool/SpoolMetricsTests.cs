using System.Diagnostics.Metrics;
using Gateway.Spool;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Spool;

/// <summary>
/// The spool gauges give one figure per spool name: with two spools of one name open in the process (two gateway
/// hosts, as in the tests), the exporter would keep whichever measurement came last, so one spool's depth could hide
/// the other's.
/// </summary>
public sealed class SpoolMetricsTests : IDisposable
{
    private readonly string _a = Directory.CreateTempSubdirectory("gw-spool-a-").FullName;
    private readonly string _b = Directory.CreateTempSubdirectory("gw-spool-b-").FullName;

    public void Dispose()
    {
        Directory.Delete(_a, recursive: true);
        Directory.Delete(_b, recursive: true);
    }

    [Fact]
    public async Task Two_open_spools_of_one_name_are_one_depth_their_sum()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("N");
        await using var busy = DurableSpool.Open(_a, name, new SpoolOptions(), TimeProvider.System, new ListLogger());
        await using var idle = DurableSpool.Open(_b, name, new SpoolOptions(), TimeProvider.System, new ListLogger());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SpoolAppend.Stored, await busy.AppendAsync(Guid.CreateVersion7(), "x"u8.ToArray()));
        }

        var depths = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = static (instrument, l) =>
        {
            if (instrument.Name == "gateway.spool.depth")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "spool" && (string?)tag.Value == name)
                {
                    depths.Add(value);
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal([3L], depths);
    }
}
