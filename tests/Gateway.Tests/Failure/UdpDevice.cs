using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Failure;

/// <summary>
/// A device sending numbered datagrams to the unified port from its own loopback address, one at a time, and keeping
/// the ones the gateway acknowledged (<c>200</c>/<c>201</c>): what the gateway promised not to lose.
/// </summary>
internal sealed class UdpDevice(string address, int port, string prefix)
{
    public ConcurrentBag<string> Acknowledged { get; } = [];

    public int Refused;

    public int Unanswered;

    /// <summary>Sends until <paramref name="stop"/> is cancelled or <paramref name="count"/> messages were sent.</summary>
    public async Task RunAsync(int count, CancellationToken stop)
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Parse(address), 0));
        var target = new IPEndPoint(IPAddress.Loopback, port);
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var payload = $"{prefix}-{i}";
            await socket.SendAsync(Encoding.UTF8.GetBytes(payload), target, CancellationToken.None);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                var reply = Encoding.UTF8.GetString((await socket.ReceiveAsync(wait.Token)).Buffer);
                if (reply is "200" or "201" || reply.StartsWith("200 {\"result\":\"ok\"", StringComparison.Ordinal))
                {
                    Acknowledged.Add(payload);
                }
                else
                {
                    Interlocked.Increment(ref Refused);
                }
            }
            catch (OperationCanceledException)
            {
                // No reply (the gateway died mid-exchange): not acknowledged, so not promised.
                Interlocked.Increment(ref Unanswered);
                if (stop.IsCancellationRequested)
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // ICMP port unreachable while the gateway is down.
                Interlocked.Increment(ref Unanswered);
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }
}
