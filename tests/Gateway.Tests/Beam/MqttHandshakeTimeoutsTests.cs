using Gateway.Beam.Mqtt;

namespace Gateway.Tests.Beam;

/// <summary>The reused handshake timeout sources of the MQTT relay: a source that fired never comes back.</summary>
public sealed class MqttHandshakeTimeoutsTests
{
    [Fact]
    public void A_source_that_fired_is_never_handed_out_again()
    {
        var fired = HandshakeTimeouts.Rent(Timeout.InfiniteTimeSpan);
        fired.Cancel();
        HandshakeTimeouts.Return(fired);

        // Whatever the pool holds now (other tests may have returned sources), none is cancelled or the fired one.
        var rented = Enumerable.Range(0, 300).Select(_ => HandshakeTimeouts.Rent(Timeout.InfiniteTimeSpan)).ToList();
        Assert.All(rented, s => Assert.False(s.IsCancellationRequested));
        Assert.DoesNotContain(fired, rented);
        rented.ForEach(HandshakeTimeouts.Return);
    }

    [Fact]
    public async Task A_reused_source_still_cancels_when_its_new_time_is_up()
    {
        var first = HandshakeTimeouts.Rent(Timeout.InfiniteTimeSpan);
        HandshakeTimeouts.Return(first);

        // Its timer was stopped when it came back; renting again must start it anew. (A bound, not a timing: the wait
        // only fails if the source never cancels.)
        var again = HandshakeTimeouts.Rent(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(Timeout.Infinite, again.Token).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        HandshakeTimeouts.Return(again);
    }

    [Fact]
    public void A_returned_source_forgets_the_callbacks_of_its_previous_use()
    {
        var source = HandshakeTimeouts.Rent(Timeout.InfiniteTimeSpan);
        var called = false;
        source.Token.Register(() => called = true);
        HandshakeTimeouts.Return(source);

        // Cancel every idle source the pool may hand out: the earlier registration must not run.
        var rented = Enumerable.Range(0, 300).Select(_ => HandshakeTimeouts.Rent(Timeout.InfiniteTimeSpan)).ToList();
        rented.ForEach(s => s.Cancel());
        Assert.False(called);
        rented.ForEach(HandshakeTimeouts.Return);
    }
}
