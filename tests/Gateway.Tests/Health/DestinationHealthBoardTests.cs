using Gateway.Health;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Health;

/// <summary>Counts, times and the last failure per destination; destinations named without path, query or user info.</summary>
public sealed class DestinationHealthBoardTests
{
    private readonly ManualClock _clock = new();

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void Successes_and_failures_are_counted_with_their_times_and_the_last_reason()
    {
        var board = new DestinationHealthBoard(_clock);
        board.Succeeded("Beam", "http", "http://up:80");
        var okAt = Now;
        _clock.Advance(TimeSpan.FromSeconds(5));
        board.Failed("Beam", "http", "http://up:80", "connection refused");
        _clock.Advance(TimeSpan.FromSeconds(5));
        board.Failed("Beam", "http", "http://up:80", "timed out after 30 s");
        board.Succeeded("Harvest", "store", "sqlite", count: 40);

        var beam = board.Statuses().Single(s => s.Service == "Beam");
        Assert.Equal(new DestinationStatus("Beam", "http", "http://up:80", 1, 2, 2, okAt, Now, "timed out after 30 s", null), beam);
        Assert.False(beam.Healthy);
        var harvest = board.Statuses().Single(s => s.Service == "Harvest");
        Assert.Equal((40L, 0L, true, (long?)null), (harvest.Successes, harvest.Failures, harvest.Healthy, harvest.LastFailureMs));

        board.Succeeded("Beam", "http", "http://up:80");
        Assert.True(board.Statuses().Single(s => s.Service == "Beam").Healthy);
    }

    [Theory]
    [InlineData("https://user:secret@example.com:8443/path?key=s3cret", "https://example.com:8443")]
    [InlineData("http://127.0.0.1:9000/udp", "http://127.0.0.1:9000")]
    [InlineData("tcp://10.0.0.1:1234", "tcp://10.0.0.1:1234")]
    public void A_destination_is_named_by_scheme_host_and_port_only(string url, string name)
    {
        Assert.Equal(name, DestinationHealthBoard.Name(new Uri(url)));
    }

    [Fact]
    public void Past_the_limit_new_destinations_are_counted_together()
    {
        var board = new DestinationHealthBoard(_clock);
        for (var i = 0; i < DestinationHealthBoard.MaxDestinations + 5; i++)
        {
            board.Succeeded("Beam", "http", $"http://h{i}:80");
        }

        var statuses = board.Statuses();
        Assert.Equal(DestinationHealthBoard.MaxDestinations + 1, statuses.Count);
        Assert.Equal(5, statuses.Single(s => s.Destination == DestinationHealthBoard.Other).Successes);
    }
}
