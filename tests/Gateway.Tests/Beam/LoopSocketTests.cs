using System.Net;
using System.Net.Sockets;
using Gateway.Beam.Relay.Loop;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Beam;

/// <summary>The relay's event-loop sockets against a real peer on loopback: readiness that epoll reports only once.</summary>
public sealed class LoopSocketTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task End_that_arrives_with_the_last_bytes_is_read_after_them(bool corked)
    {
        // Corked, the bytes and the FIN leave in one segment: epoll reports one edge (EPOLLIN | EPOLLRDHUP), the read
        // that takes the bytes comes back short, and no later edge says the stream has ended.
        using var loop = new EventLoop(0, NullLogger.Instance);
        loop.Start();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
            if (corked)
            {
                // TCP_CORK (3) at IPPROTO_TCP (6), set raw: .NET reads (Tcp, 3) as its own TcpKeepAliveTime.
                peer.SetRawSocketOption(6, 3, BitConverter.GetBytes(1));
            }

            peer.Send("0123456789"u8);
            peer.Shutdown(SocketShutdown.Send);
            await Task.Delay(3000, TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        var reads = new TaskCompletionSource<(int First, int Second)>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(async _ =>
        {
            try
            {
                var upstream = await LoopUpstream.ConnectAsync(loop, (IPEndPoint)listener.LocalEndpoint, CancellationToken.None);
                var buffer = new byte[100];
                var first = await upstream.ReceiveAsync(buffer);
                var second = await upstream.ReceiveAsync(buffer);
                upstream.Dispose();
                reads.SetResult((first, second));
            }
            catch (Exception e)
            {
                reads.SetException(e);
            }
        }, null);

        var (first, second) = await reads.Task.WaitAsync(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal((10, 0), (first, second));
        await server;
    }

    [Fact]
    public void Loop_disposed_twice_closes_its_descriptors_once()
    {
        // The container may dispose a loop twice (once per registration that returned it). The second time must not
        // close its descriptor numbers again: by then the process may have given them to files, pipes or sockets.
        var loop = new EventLoop(0, NullLogger.Instance);
        loop.Start();
        loop.Dispose();

        // The lowest free numbers are given out first: files opened now take the loop's old ones, if nothing else has.
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "kept");
        var files = Enumerable.Range(0, 8).Select(_ => File.OpenHandle(path)).ToArray();
        try
        {
            loop.Dispose();
            var buffer = new byte[4];
            foreach (var file in files)
            {
                Assert.Equal(4, RandomAccess.Read(file, buffer, 0));
            }
        }
        finally
        {
            foreach (var file in files)
            {
                file.Dispose();
            }

            File.Delete(path);
        }
    }
}
