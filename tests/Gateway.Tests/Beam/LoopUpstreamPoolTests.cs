using System.Net;
using System.Net.Sockets;
using Gateway.Beam;
using Gateway.Beam.Relay;
using Gateway.Beam.Relay.Loop;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Beam;

/// <summary>
/// An event loop's upstream connects with a host name: the relay must come back to its loop whatever the lookup's
/// outcome, and must try every address the name has.
/// </summary>
public sealed class LoopUpstreamPoolTests
{
    [Fact]
    public async Task A_failed_lookup_resumes_the_relay_on_its_loop()
    {
        // The lookup fails later, on another thread, as the system resolver does.
        using var resolver = new UpstreamResolver(static async host =>
        {
            await Task.Delay(50).ConfigureAwait(false);
            throw new SocketException((int)SocketError.HostNotFound);
        });
        var outcome = await RentOnLoopAsync(resolver, new Uri("http://nothing.invalid:8080/"));
        Assert.Equal("SocketException HostNotFound, on the loop: True", outcome);
    }

    [Fact]
    public async Task A_cancelled_lookup_resumes_the_relay_on_its_loop()
    {
        // A lookup that never answers: the connect's deadline (100 ms away) ends the wait.
        using var resolver = new UpstreamResolver(static _ => new TaskCompletionSource<IPAddress[]>().Task);
        var outcome = await RentOnLoopAsync(resolver, new Uri("http://slow.example:8080/"), deadlineMs: 100);
        Assert.Equal("TaskCanceledException, on the loop: True", outcome);
    }

    [Fact]
    public async Task Every_address_of_the_name_is_tried_in_turn()
    {
        // The name's first address refuses (nothing listens on 127.0.0.2), the second accepts.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var resolver = new UpstreamResolver(static _ => Task.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Loopback }));
        var outcome = await RentOnLoopAsync(resolver, new Uri($"http://two.example:{port}/"));
        Assert.Equal("connected, on the loop: True", outcome);
        using var accepted = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<string> RentOnLoopAsync(UpstreamResolver resolver, Uri destination, long deadlineMs = 5000)
    {
        using var loop = new EventLoop(0, NullLogger.Instance);
        loop.Start();
        using var pools = new UpstreamPool();
        var pool = new LoopUpstreamPool(loop, resolver);
        var target = new RelayTarget(destination, pools);
        var outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(async _ =>
        {
            try
            {
                using var connection = await pool.RentAsync(target, Environment.TickCount64 + deadlineMs);
                outcome.SetResult($"connected, on the loop: {loop.IsCurrent}");
            }
            catch (SocketException e)
            {
                outcome.SetResult($"SocketException {e.SocketErrorCode}, on the loop: {loop.IsCurrent}");
            }
            catch (Exception e)
            {
                outcome.SetResult($"{e.GetType().Name}, on the loop: {loop.IsCurrent}");
            }
        }, null);
        return await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
