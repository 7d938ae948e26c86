using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

// RFC 2866 fixes MD5 for the Request and Response Authenticators; a gateway would reject anything else.
#pragma warning disable CA5351

namespace Gateway.Benchmarks;

/// <summary>
/// An attach storm against a running gateway's RADIUS accounting port: Accounting-Request Start packets (RFC 2866,
/// Request Authenticator = MD5 over the packet with sixteen zero octets and the shared secret), each for a new IMSI
/// (so each is an auto-registration when the gateway has <c>AutoRegisterGroupId</c>) and a new Framed-IP-Address,
/// sent open loop at a fixed rate whatever the answers do, from <see cref="Sockets"/> source ports so that 256
/// identifiers per port do not limit what is outstanding. Each answer is matched to its request by port and
/// identifier and accepted only when its Response Authenticator verifies. Per second of sending: sent, answered,
/// p50/p99/max of the answers' latency. An unanswered request is counted as lost once its slot is reused.
/// <c>radius-storm HOST:PORT SECRET RATE SECONDS [FIRST_IMSI]</c>.
/// </summary>
internal static class RadiusStorm
{
    private const int Sockets = 64;
    private const int Slots = 256;
    private const byte AccountingRequest = 4;
    private const byte AccountingResponse = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var target = IPEndPoint.Parse(args[0]);
        var secret = Encoding.UTF8.GetBytes(args[1]);
        var rate = int.Parse(args[2], CultureInfo.InvariantCulture);
        var seconds = int.Parse(args[3], CultureInfo.InvariantCulture);
        var firstImsi = args.Length > 4 ? long.Parse(args[4], CultureInfo.InvariantCulture) : 440990000000000L;

        var sockets = new Socket[Sockets];
        for (var i = 0; i < Sockets; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
            sockets[i].Connect(target);
        }

        var state = new State(seconds + 30);
        using var stop = new CancellationTokenSource();
        var receivers = sockets.Select((s, i) => Task.Run(() => ReceiveAsync(s, i, state, secret, stop.Token))).ToArray();
        var clock = Stopwatch.StartNew();
        var packet = new byte[256];
        long sent = 0;
        var total = (long)rate * seconds;
        while (sent < total)
        {
            var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            for (; sent < due; sent++)
            {
                var socket = (int)(sent % Sockets);
                var id = (byte)(sent / Sockets % Slots);
                var length = Write(packet, id, firstImsi + sent, sent, secret);
                var slot = state.Slot(socket, id);
                lock (slot)
                {
                    if (slot.SentTicks != 0)
                    {
                        Interlocked.Increment(ref state.Lost);
                    }

                    packet.AsSpan(4, 16).CopyTo(slot.Authenticator);
                    slot.SentTicks = Stopwatch.GetTimestamp();
                    slot.Second = (int)clock.Elapsed.TotalSeconds;
                }

                state.Sent[slot.Second]++;
                sockets[socket].Send(packet.AsSpan(0, length));
            }

            Thread.Sleep(1);
        }

        // The stragglers: up to ten seconds for the last answers.
        for (var wait = 0; wait < 100 && state.Answered.Sum() + state.Lost < sent; wait++)
        {
            await Task.Delay(100);
        }

        stop.Cancel();
        foreach (var s in sockets)
        {
            s.Dispose();
        }

        await Task.WhenAll(receivers.Select(static r => r.ContinueWith(static _ => { }, TaskScheduler.Default)));
        Report(state, rate, seconds, sent);
        return 0;
    }

    private static void Report(State state, int rate, int seconds, long sent)
    {
        Console.WriteLine("second  sent  answered  p50 ms  p99 ms  max ms");
        var all = new List<double>();
        for (var s = 0; s < seconds; s++)
        {
            var latencies = state.Latencies[s];
            List<double> copy;
            lock (latencies)
            {
                copy = [.. latencies];
            }

            copy.Sort();
            all.AddRange(copy);
            Console.WriteLine($"{s,6} {state.Sent[s],5} {copy.Count,9} {Pct(copy, 0.50),7:F1} {Pct(copy, 0.99),7:F1} {(copy.Count > 0 ? copy[^1] : double.NaN),7:F1}");
        }

        all.Sort();
        var answered = all.Count;
        var firstHalf = Enumerable.Range(0, seconds / 2).SelectMany(s => state.Latencies[s]).Order().ToList();
        var secondHalf = Enumerable.Range(seconds / 2, seconds - (seconds / 2)).SelectMany(s => state.Latencies[s]).Order().ToList();
        Console.WriteLine(
            $"radius-storm: {rate}/s for {seconds} s; sent {sent}, answered {answered} ({100.0 * answered / Math.Max(1, sent):F2} %), lost {sent - answered}; " +
            $"p50 {Pct(all, 0.5):F1} ms, p99 {Pct(all, 0.99):F1} ms; first half p99 {Pct(firstHalf, 0.99):F1} ms, second half p99 {Pct(secondHalf, 0.99):F1} ms");
        Console.WriteLine($"radius-storm halves: first {Half(firstHalf)}; second {Half(secondHalf)}");
    }

    /// <summary>One half of the run: how many answered, p50/p99/max latency.</summary>
    private static string Half(List<double> sorted) =>
        $"{sorted.Count} answered, p50 {Pct(sorted, 0.5):F1} ms, p99 {Pct(sorted, 0.99):F1} ms, max {(sorted.Count > 0 ? sorted[^1] : double.NaN):F1} ms";

    private static double Pct(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * p))];

    private static async Task ReceiveAsync(Socket socket, int index, State state, byte[] secret, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var check = new byte[4096];
        while (!cancellationToken.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (e is SocketException && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (n < 20 || buffer[0] != AccountingResponse || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)) != n)
            {
                continue;
            }

            var slot = state.Slot(index, buffer[1]);
            int second;
            long sentTicks;
            lock (slot)
            {
                // Response Authenticator = MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret).
                buffer.AsSpan(0, 4).CopyTo(check);
                slot.Authenticator.CopyTo(check, 4);
                buffer.AsSpan(20, n - 20).CopyTo(check.AsSpan(20));
                secret.CopyTo(check, n);
                if (slot.SentTicks == 0 || !MD5.HashData(check.AsSpan(0, n + secret.Length)).AsSpan().SequenceEqual(buffer.AsSpan(4, 16)))
                {
                    continue;
                }

                second = slot.Second;
                sentTicks = slot.SentTicks;
                slot.SentTicks = 0;
            }

            var latencies = state.Latencies[second];
            lock (latencies)
            {
                latencies.Add(Stopwatch.GetElapsedTime(sentTicks, now).TotalMilliseconds);
            }

            Interlocked.Increment(ref state.Answered[second]);
        }
    }

    /// <summary>An Accounting-Request Start for one new SIM; returns its length.</summary>
    private static int Write(byte[] packet, byte id, long imsi, long sequence, byte[] secret)
    {
        packet[0] = AccountingRequest;
        packet[1] = id;
        var at = 20;
        at = Attribute(packet, at, 40, [0, 0, 0, 1]); // Acct-Status-Type = Start
        Span<byte> address = [100, (byte)(64 + (sequence >> 16 & 63)), (byte)(sequence >> 8), (byte)sequence];
        at = Attribute(packet, at, 8, address); // Framed-IP-Address, 100.64.0.0/10
        at = Attribute(packet, at, 4, [127, 0, 0, 1]); // NAS-IP-Address
        at = Attribute(packet, at, 32, "storm"u8); // NAS-Identifier
        at = Attribute(packet, at, 44, Encoding.ASCII.GetBytes(sequence.ToString("x8", CultureInfo.InvariantCulture))); // Acct-Session-Id

        // 3GPP-IMSI: Vendor-Specific (26), vendor 10415, vendor type 1.
        var imsiText = Encoding.ASCII.GetBytes(imsi.ToString(CultureInfo.InvariantCulture));
        packet[at] = 26;
        packet[at + 1] = (byte)(8 + imsiText.Length);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(at + 2), 10415);
        packet[at + 6] = 1;
        packet[at + 7] = (byte)(2 + imsiText.Length);
        imsiText.CopyTo(packet, at + 8);
        at += 8 + imsiText.Length;

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)at);
        packet.AsSpan(4, 16).Clear();
        var hashed = new byte[at + secret.Length];
        packet.AsSpan(0, at).CopyTo(hashed);
        secret.CopyTo(hashed, at);
        MD5.HashData(hashed).CopyTo(packet, 4);
        return at;
    }

    private static int Attribute(byte[] packet, int at, byte type, ReadOnlySpan<byte> value)
    {
        packet[at] = type;
        packet[at + 1] = (byte)(2 + value.Length);
        value.CopyTo(packet.AsSpan(at + 2));
        return at + 2 + value.Length;
    }

    private sealed class SlotState
    {
        public readonly byte[] Authenticator = new byte[16];
        public long SentTicks;
        public int Second;
    }

    private sealed class State
    {
        public readonly SlotState[] Slots = [.. Enumerable.Range(0, Sockets * RadiusStorm.Slots).Select(static _ => new SlotState())];
        public readonly int[] Sent;
        public readonly int[] Answered;
        public readonly List<double>[] Latencies;
        public long Lost;

        public State(int seconds)
        {
            Sent = new int[seconds];
            Answered = new int[seconds];
            Latencies = [.. Enumerable.Range(0, seconds).Select(static _ => new List<double>())];
        }

        public SlotState Slot(int socket, byte id) => Slots[(socket * RadiusStorm.Slots) + id];
    }
}
