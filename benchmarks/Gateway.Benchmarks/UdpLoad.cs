using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Benchmarks;

/// <summary>
/// A closed-loop UDP load generator: N sockets, each sends a datagram and waits for the reply (or a 2 s timeout)
/// before sending the next, for a fixed time. Reports replies per second, losses and latency percentiles.
/// Usage: <c>udp-load HOST:PORT SECONDS CONCURRENCY [PAYLOAD]</c>.
/// </summary>
internal static class UdpLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || !IPEndPoint.TryParse(args[0], out var target))
        {
            await Console.Error.WriteLineAsync("usage: udp-load HOST:PORT SECONDS CONCURRENCY [PAYLOAD]");
            return 2;
        }

        var seconds = double.Parse(args[1], CultureInfo.InvariantCulture);
        var concurrency = int.Parse(args[2], CultureInfo.InvariantCulture);
        var payload = System.Text.Encoding.UTF8.GetBytes(args.Length > 3 ? args[3] : "{\"temp\":21.5}");
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var latencies = new List<double>[concurrency];
        var lost = new int[concurrency];
        var workers = Enumerable.Range(0, concurrency).Select(i => Task.Run(async () =>
        {
            latencies[i] = [];
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var buffer = new byte[2048];
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                await socket.SendToAsync(payload, target);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.ReceiveAsync(buffer, timeout.Token);
                    latencies[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (OperationCanceledException)
                {
                    lost[i]++;
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var all = latencies.SelectMany(static l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replies {all.Length} in {seconds} s = {all.Length / seconds:0} msg/s; lost {lost.Sum()}; p50 {P(0.5):0.000} ms; p99 {P(0.99):0.000} ms"));
        return 0;
    }
}
