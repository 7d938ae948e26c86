using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Failure;

/// <summary>
/// A device sending numbered datagrams to the unified port from its own loopback address, one at a time, and keeping
/// the ones the gateway acknowledged (a 2xx status first in the reply: Funnel's <c>200</c>, Harvest's <c>201</c>,
/// Beam's <c>200 ok</c>): what the gateway promised not to lose. Other replies are counted by their text.
/// </summary>
internal sealed class UdpDevice(string address, int port, string prefix)
{
    public ConcurrentBag<string> Acknowledged { get; } = [];

    public int Refused;

    /// <summary>The replies that were not an acknowledgement, with how often each came.</summary>
    public ConcurrentDictionary<string, int> Refusals { get; } = new();

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
                if (IsAcknowledgement(reply))
                {
                    Acknowledged.Add(payload);
                }
                else
                {
                    Interlocked.Increment(ref Refused);
                    Refusals.AddOrUpdate(reply, 1, static (_, n) => n + 1);
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

    /// <summary>A reply whose status, its first three characters, is 2xx (alone or followed by a space and a body).</summary>
    public static bool IsAcknowledgement(string reply) =>
        reply.Length >= 3 && reply[0] == '2' && char.IsAsciiDigit(reply[1]) && char.IsAsciiDigit(reply[2]) && (reply.Length == 3 || reply[3] == ' ');
}
