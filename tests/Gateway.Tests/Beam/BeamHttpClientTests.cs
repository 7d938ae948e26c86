using Gateway.Beam;

namespace Gateway.Tests.Beam;

/// <summary>
/// The pooled upstream clients: one per TLS profile (a private CA, a client certificate, per SIM with per-SIM
/// certificates). They were kept for ever, one per SIM; an unused one is now dropped.
/// </summary>
public sealed class BeamHttpClientTests
{
    [Fact]
    public void A_profile_unused_for_the_idle_time_is_dropped_and_made_again_when_needed()
    {
        using var client = new BeamHttpClient();
        var tls = UpstreamTls.Create(TestCertificates.CaPem, null, null)!;
        var first = client.For(tls);
        Assert.Same(first, client.For(tls));
        Assert.Equal(1, client.ProfileCount);

        client.Sweep(Environment.TickCount64 + (long)(BeamHttpClient.ProfileIdle.TotalMilliseconds / 2));
        Assert.Equal(1, client.ProfileCount);

        client.Sweep(Environment.TickCount64 + (long)BeamHttpClient.ProfileIdle.TotalMilliseconds + 1);
        Assert.Equal(0, client.ProfileCount);
        Assert.NotSame(first, client.For(tls));
    }

    [Fact]
    public void The_shared_client_and_a_profile_in_use_are_kept()
    {
        using var client = new BeamHttpClient();
        var tls = UpstreamTls.Create(TestCertificates.CaPem, null, null)!;
        var used = client.For(tls);
        client.Sweep(Environment.TickCount64 + (long)(BeamHttpClient.ProfileIdle.TotalMilliseconds / 2));
        Assert.Same(used, client.For(tls));
        Assert.Same(client.Invoker, client.For((UpstreamTls?)null));
    }
}
