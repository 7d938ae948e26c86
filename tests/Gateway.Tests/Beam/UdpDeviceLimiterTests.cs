using System.Net;
using Gateway.Beam;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Beam;

public sealed class UdpDeviceLimiterTests
{
    private const string Flooder = "440101234567441";
    private const string Neighbour = "440101234567442";

    [Fact]
    public void A_device_past_its_rate_is_refused_while_its_neighbour_is_admitted_and_the_bucket_refills()
    {
        var clock = new ManualClock();
        var limiter = new UdpDeviceLimiter(maxInFlight: 1000, ratePerSecond: 10, burst: 5, maxDevices: 16, clock);

        var admitted = Enumerable.Range(0, 1000).Count(_ => Admit(limiter, Flooder));
        Assert.Equal(5, admitted);
        Assert.Equal(UdpDeviceLimiter.Verdict.RateLimited, limiter.TryAdmit(Flooder, out _));
        Assert.True(Admit(limiter, Neighbour));

        // 10 a second: after 300 ms, three more.
        clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(3, Enumerable.Range(0, 100).Count(_ => Admit(limiter, Flooder)));

        // The bucket holds no more than its burst, however long the device was quiet.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Enumerable.Range(0, 100).Count(_ => Admit(limiter, Flooder)));
    }

    [Fact]
    public void A_device_at_its_in_flight_bound_is_busy_until_one_is_released()
    {
        var clock = new ManualClock();
        var limiter = new UdpDeviceLimiter(maxInFlight: 2, ratePerSecond: 0, burst: 1, maxDevices: 16, clock);

        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Flooder, out _));
        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Flooder, out _));
        Assert.Equal(UdpDeviceLimiter.Verdict.Busy, limiter.TryAdmit(Flooder, out _));
        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Neighbour, out _));

        limiter.Release(Flooder);
        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Flooder, out _));
    }

    [Fact]
    public void Refusals_are_answered_once_a_second_per_device_and_otherwise_silent()
    {
        var clock = new ManualClock();
        var limiter = new UdpDeviceLimiter(maxInFlight: 1, ratePerSecond: 0, burst: 1, maxDevices: 16, clock);
        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Flooder, out _));

        var replies = Enumerable.Range(0, 10_000).Count(_ => limiter.TryAdmit(Flooder, out var reply) == UdpDeviceLimiter.Verdict.Busy && reply);
        Assert.Equal(1, replies);

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, Enumerable.Range(0, 100).Count(_ => limiter.TryAdmit(Flooder, out var reply) != UdpDeviceLimiter.Verdict.Admitted && reply));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Enumerable.Range(0, 100).Count(_ => limiter.TryAdmit(Flooder, out var reply) != UdpDeviceLimiter.Verdict.Admitted && reply));
    }

    [Fact]
    public void Spoofed_sources_do_not_grow_the_table_past_its_bound_and_idle_entries_make_room()
    {
        var clock = new ManualClock();
        var limiter = new UdpDeviceLimiter(maxInFlight: 4, ratePerSecond: 100, burst: 10, maxDevices: 64, clock);

        // Anonymous devices are keyed by address: a flood from a whole /16 of spoofed sources, one datagram in flight each.
        var verdicts = Enumerable.Range(0, 65_536)
            .Select(i => limiter.TryAdmit(new IPAddress(new byte[] { 127, 9, (byte)(i >> 8), (byte)i }), out _))
            .ToList();
        Assert.Equal(64, verdicts.Count(static v => v == UdpDeviceLimiter.Verdict.Admitted));
        Assert.Equal(65_536 - 64, verdicts.Count(static v => v == UdpDeviceLimiter.Verdict.TableFull));
        Assert.Equal(64, limiter.TrackedDevices);

        // Once those datagrams are done and the buckets full again, the entries carry nothing and give way.
        for (var i = 0; i < 64; i++)
        {
            limiter.Release(new IPAddress(new byte[] { 127, 9, 0, (byte)i }));
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(UdpDeviceLimiter.Verdict.Admitted, limiter.TryAdmit(Neighbour, out _));
        Assert.Equal(1, limiter.TrackedDevices);
    }

    [Fact]
    public void Udp_admission_options_are_validated_at_start()
    {
        var errors = new BeamOptions { UdpMaxInFlightPerDevice = 0, UdpRatePerDevice = -1, UdpBurstPerDevice = 0, UdpMaxTrackedDevices = 0 }.Validate();
        Assert.Contains("Gateway:Beam:UdpMaxInFlightPerDevice must be at least 1 (was 0).", errors);
        Assert.Contains("Gateway:Beam:UdpRatePerDevice must be at least 0 (0: off) (was -1).", errors);
        Assert.Contains("Gateway:Beam:UdpBurstPerDevice must be at least 1 (was 0).", errors);
        Assert.Contains("Gateway:Beam:UdpMaxTrackedDevices must be at least 1 (was 0).", errors);
        Assert.Empty(new BeamOptions { UdpRatePerDevice = 0 }.Validate());
    }

    private static bool Admit(UdpDeviceLimiter limiter, string imsi)
    {
        var admitted = limiter.TryAdmit(imsi, out _) == UdpDeviceLimiter.Verdict.Admitted;
        if (admitted)
        {
            limiter.Release(imsi);
        }

        return admitted;
    }
}
