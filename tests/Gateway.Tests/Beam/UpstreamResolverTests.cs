using System.Net;
using System.Net.Sockets;
using Gateway.Beam;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Beam;

/// <summary>
/// The shared upstream name resolver: a name that does not resolve, or resolves slowly, must cost its own requests
/// only (issue: 200 concurrent requests to an unresolvable host held the thread pool for 25 s).
/// </summary>
public sealed class UpstreamResolverTests
{
    private readonly ManualClock _clock = new();
    private readonly Dictionary<string, List<TaskCompletionSource<IPAddress[]>>> _lookups = [];

    private UpstreamResolver Create() => new(Lookup, _clock);

    [Fact]
    public async Task Concurrent_requests_for_one_name_share_one_lookup_and_get_IPv4_first()
    {
        using var resolver = Create();
        var waiting = Enumerable.Range(0, 200).Select(_ => resolver.ResolveAsync("up.example", CancellationToken.None).AsTask()).ToList();
        Assert.Single(_lookups["up.example"]);

        _lookups["up.example"][0].SetResult([IPAddress.IPv6Loopback, IPAddress.Parse("127.0.0.7")]);
        foreach (var answer in await Task.WhenAll(waiting))
        {
            Assert.Equal([IPAddress.Parse("127.0.0.7"), IPAddress.IPv6Loopback], answer);
        }
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_remembered_briefly_then_looked_up_again()
    {
        using var resolver = Create();
        var first = resolver.ResolveAsync("nothing.invalid", CancellationToken.None).AsTask();
        _lookups["nothing.invalid"][0].SetException(new SocketException((int)SocketError.HostNotFound));
        var e = await Assert.ThrowsAsync<SocketException>(() => first);
        Assert.Equal(SocketError.HostNotFound, e.SocketErrorCode);

        // Within the negative TTL the failure is answered from memory, at once.
        _clock.Advance(UpstreamResolver.NegativeTtl - TimeSpan.FromSeconds(1));
        var again = resolver.ResolveAsync("nothing.invalid", CancellationToken.None).AsTask();
        Assert.True(again.IsFaulted);
        Assert.Single(_lookups["nothing.invalid"]);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _ = resolver.ResolveAsync("nothing.invalid", CancellationToken.None).AsTask();
        Assert.Equal(2, _lookups["nothing.invalid"].Count);
    }

    [Fact]
    public async Task An_answer_is_kept_for_the_positive_TTL()
    {
        using var resolver = Create();
        var first = resolver.ResolveAsync("up.example", CancellationToken.None).AsTask();
        _lookups["up.example"][0].SetResult([IPAddress.Loopback]);
        await first;

        _clock.Advance(UpstreamResolver.PositiveTtl - TimeSpan.FromSeconds(1));
        Assert.Equal([IPAddress.Loopback], await resolver.ResolveAsync("up.example", CancellationToken.None));
        Assert.Single(_lookups["up.example"]);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _ = resolver.ResolveAsync("up.example", CancellationToken.None).AsTask();
        Assert.Equal(2, _lookups["up.example"].Count);
    }

    [Fact]
    public async Task A_lookup_that_hangs_fails_as_try_again_after_the_lookup_timeout()
    {
        using var resolver = Create();
        var waiting = resolver.ResolveAsync("slow.example", CancellationToken.None).AsTask();
        _clock.Advance(UpstreamResolver.LookupTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var e = await Assert.ThrowsAsync<SocketException>(() => waiting);
        Assert.Equal(SocketError.TryAgain, e.SocketErrorCode);
        Assert.Contains("slow.example", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookups_in_progress_are_bounded_and_a_slot_is_freed_only_when_the_system_call_returns()
    {
        using var resolver = Create();
        var hosts = Enumerable.Range(0, UpstreamResolver.MaxConcurrentLookups + 4).Select(i => $"h{i}.example").ToList();
        var waiting = hosts.Select(h => resolver.ResolveAsync(h, CancellationToken.None).AsTask()).ToList();
        Assert.Equal(UpstreamResolver.MaxConcurrentLookups, _lookups.Count);

        // The first times out for its callers, but its thread is still blocked: no new lookup may start.
        _clock.Advance(UpstreamResolver.LookupTimeout);
        await Assert.ThrowsAsync<SocketException>(() => waiting[0]);
        Assert.Equal(UpstreamResolver.MaxConcurrentLookups, _lookups.Count);

        // It returns at last: the slot goes to a waiting name.
        _lookups["h0.example"][0].SetResult([IPAddress.Loopback]);
        await WaitUntil(() => _lookups.Count == UpstreamResolver.MaxConcurrentLookups + 1);
    }

    [Fact]
    public async Task A_caller_giving_up_does_not_cancel_the_shared_lookup()
    {
        using var resolver = Create();
        using var impatient = new CancellationTokenSource();
        var first = resolver.ResolveAsync("up.example", impatient.Token).AsTask();
        var second = resolver.ResolveAsync("up.example", CancellationToken.None).AsTask();
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        _lookups["up.example"][0].SetResult([IPAddress.Loopback]);
        Assert.Equal([IPAddress.Loopback], await second);
    }

    [Fact]
    public async Task An_address_literal_is_not_looked_up()
    {
        using var resolver = Create();
        Assert.Equal([IPAddress.Parse("127.0.0.9")], await resolver.ResolveAsync("127.0.0.9", CancellationToken.None));
        Assert.Empty(_lookups);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(condition());
    }

    private Task<IPAddress[]> Lookup(string host)
    {
        var lookup = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lookups)
        {
            (_lookups.TryGetValue(host, out var list) ? list : _lookups[host] = []).Add(lookup);
        }

        return lookup.Task;
    }
}
