using System.Net;
using Gateway.Diagnostics;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Diagnostics;

public sealed class LogRateLimiterTests
{
    private static readonly IPAddress s_flooder = IPAddress.Parse("127.0.8.8");
    private static readonly IPAddress s_neighbour = IPAddress.Parse("127.0.8.9");

    [Fact]
    public void A_flood_from_one_source_gives_a_few_lines_and_one_summary_per_window()
    {
        var clock = new ManualClock();
        var log = new ListLogger();
        using var limiter = new LogRateLimiter(log, "Beam udp: refused datagrams", clock, TimeSpan.FromSeconds(10), perSource: 5);

        var allowed = Enumerable.Range(0, 84_216).Count(_ => limiter.Allow(s_flooder));
        Assert.Equal(5, allowed);

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("Beam udp: refused datagrams: … and 84,211 more from 127.0.8.8 in the last 10 s", Assert.Single(log.Lines));

        // A new window: the source's budget starts again, and a quiet window writes nothing.
        Assert.True(limiter.Allow(s_flooder));
        clock.Advance(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(log.Lines);
    }

    [Fact]
    public void One_source_flooding_does_not_silence_another()
    {
        var clock = new ManualClock();
        using var limiter = new LogRateLimiter(new ListLogger(), "x", clock, perSource: 3);
        for (var i = 0; i < 1000; i++)
        {
            limiter.Allow(s_flooder);
        }

        Assert.True(limiter.Allow(s_neighbour));
        Assert.True(limiter.Allow(new IPEndPoint(s_neighbour, 4000)));
        Assert.True(limiter.Allow("127.0.8.10"));
    }

    [Fact]
    public void The_source_table_is_bounded_and_sources_beyond_it_are_summarised_together()
    {
        var clock = new ManualClock();
        var log = new ListLogger();
        using var limiter = new LogRateLimiter(log, "RADIUS accounting: dropped requests", clock, perSource: 1, maxSources: 100);

        // Spoofed sources, each sending once: only the first 100 are tracked (and logged).
        var allowed = 0;
        for (var i = 0; i < 10_000; i++)
        {
            allowed += limiter.Allow(new IPAddress(0x0A000000u + (uint)i)) ? 1 : 0;
        }

        Assert.Equal(100, allowed);
        Assert.Equal(100, limiter.TrackedSources);

        clock.Advance(LogRateLimiter.DefaultWindow);
        Assert.Equal("RADIUS accounting: dropped requests: … and 9,900 more from further sources (beyond the 100 tracked) in the last 10 s", Assert.Single(log.Lines));
        Assert.Equal(0, limiter.TrackedSources);
    }
}
