using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Benchmarks;

/// <summary>
/// An open-loop UDP sender: datagrams at a fixed rate whatever happens to them, round robin over sockets bound to the
/// given source addresses (each a registered device), for a fixed time. Replies are counted by status (the gateway
/// answers "200" after Kafka acknowledged; rsyslog never answers). Usage:
/// <c>udp-blast HOST:PORT RATE SECONDS SOURCE[,SOURCE…] [PAYLOAD]</c>.
/// </summary>
internal static class UdpBlast
{
    public static int Run(string[] args)
    {
        if (args.Length < 4 || !IPEndPoint.TryParse(args[0], out var target))
        {
            Console.Error.WriteLine("usage: udp-blast HOST:PORT RATE SECONDS SOURCE[,SOURCE…] [PAYLOAD]");
            return 2;
        }

        var rate = double.Parse(args[1], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
        var payload = System.Text.Encoding.UTF8.GetBytes(args.Length > 4 ? args[4] : "{\"temp\":21.5,\"humidity\":40,\"battery\":3.3}");
        var sockets = args[3].Split(',').Select(a =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse(a), 0));
            s.Connect(target);
            s.ReceiveTimeout = 500;
            return s;
        }).ToArray();
        long ok = 0, other = 0;
        var otherKinds = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var stop = false;
        var readers = sockets.Select(s => new Thread(() =>
        {
            var buffer = new byte[2048];
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    var n = s.Receive(buffer);
                    if (n >= 3 && buffer[0] == '2' && buffer[1] == '0' && buffer[2] == '0') Interlocked.Increment(ref ok);
                    else
                    {
                        Interlocked.Increment(ref other);
                        // What the other replies were (their first line, a few kinds), so a run says why.
                        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(n, 80)).Split('\n')[0];
                        if (otherKinds.Count < 5 || otherKinds.ContainsKey(text)) otherKinds.AddOrUpdate(text, 1, static (_, c) => c + 1);
                    }
                }
                catch (SocketException)
                {
                    // timeout or refused: look at the stop flag again
                }
            }
        }) { IsBackground = true }).ToArray();
        foreach (var r in readers) r.Start();

        long sent = 0, failed = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(seconds * Stopwatch.Frequency);
        var next = 0;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end) break;
            var due = (long)((now - start) * rate / Stopwatch.Frequency);
            if (due - sent > (long)(rate / 100) + 1) sent = due - (long)(rate / 100) - 1; // never burst more than 10 ms behind
            while (sent < due)
            {
                try
                {
                    sockets[next].Send(payload);
                }
                catch (SocketException)
                {
                    failed++;
                }
                next = next + 1 == sockets.Length ? 0 : next + 1;
                sent++;
            }
            Thread.Sleep(1);
        }
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Thread.Sleep(1000); // late replies
        Volatile.Write(ref stop, true);
        foreach (var r in readers) r.Join();
        foreach (var s in sockets) s.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sent {sent - failed} in {elapsed:0.0} s = {(sent - failed) / elapsed:0} msg/s (target {rate:0}); send errors {failed}; replies 200 {ok}, other {other}"));
        foreach (var (text, count) in otherKinds)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  other reply x{count}: {text}"));
        return 0;
    }
}
