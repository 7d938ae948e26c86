using Gateway.Harvest;

namespace Gateway.Tests.Harvest;

/// <summary>Entries stamped with their receive time never share a millisecond, so none replaces another.</summary>
public sealed class ReceiveTimesTests
{
    [Fact]
    public void Messages_of_one_device_in_the_same_millisecond_get_successive_times()
    {
        var times = new ReceiveTimes();
        Assert.Equal(1000, times.Next("Subscriber", "440100000000001", 1000));
        Assert.Equal(1001, times.Next("Subscriber", "440100000000001", 1000));
        Assert.Equal(1002, times.Next("Subscriber", "440100000000001", 1000));

        // Time moving on past the bumped ones is taken as it is.
        Assert.Equal(1005, times.Next("Subscriber", "440100000000001", 1005));
    }

    [Fact]
    public void Other_devices_keep_their_own_times()
    {
        var times = new ReceiveTimes();
        Assert.Equal(1000, times.Next("Subscriber", "440100000000001", 1000));
        Assert.Equal(1000, times.Next("Subscriber", "440100000000002", 1000));
        Assert.Equal(1000, times.Next("LoraDevice", "440100000000001", 1000));
    }

    [Fact]
    public async Task Concurrent_messages_all_get_distinct_times()
    {
        var times = new ReceiveTimes();
        var stamped = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => times.Next("Subscriber", "440100000000001", 5000))));
        Assert.Equal(64, stamped.Distinct().Count());
    }
}
