using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Benchmarks;

/// <summary>
/// Opens COUNT TCP connections to HOST:PORT from the SOURCES addresses in turn and keeps them open and silent for
/// HOLD seconds, so that a server's memory per idle connection can be read. KIND <c>mqtt</c> sends an MQTT 3.1.1
/// CONNECT (unique client ID, keepalive 1200 s) on each and waits for a CONNACK accepting it; <c>tcp</c> only
/// connects. Prints <c>ready ok=N failed=M</c> once all were tried (the caller reads the server's memory then), and
/// closes them all after HOLD seconds. Usage: <c>idle-conns HOST:PORT COUNT mqtt|tcp SOURCE[,SOURCE…] HOLD [PREFIX]</c>.
/// </summary>
internal static class IdleConnections
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 5 || !IPEndPoint.TryParse(args[0], out var target) || args[2] is not ("mqtt" or "tcp"))
        {
            await Console.Error.WriteLineAsync("usage: idle-conns HOST:PORT COUNT mqtt|tcp SOURCE[,SOURCE…] HOLD [PREFIX]");
            return 2;
        }

        var count = int.Parse(args[1], CultureInfo.InvariantCulture);
        var mqtt = args[2] == "mqtt";
        var sources = args[3].Split(',').Select(IPAddress.Parse).ToArray();
        var hold = TimeSpan.FromSeconds(double.Parse(args[4], CultureInfo.InvariantCulture));
        var prefix = args.Length > 5 ? args[5] : "idle";
        var sockets = new Socket?[count];
        string? firstError = null;

        // A bounded number of handshakes at a time, so that the server's accept queue is not what is measured.
        using var gate = new SemaphoreSlim(64);
        var opening = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                sockets[i] = await OpenAsync(target, sources[i % sources.Length], mqtt ? $"{prefix}-{i}" : null);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or InvalidDataException)
            {
                Interlocked.CompareExchange(ref firstError, e.Message, null);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(opening);
        var ok = sockets.Count(static s => s is not null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready ok={ok} failed={count - ok}{(firstError is null ? "" : " first_error=" + firstError.Replace(' ', '_'))}"));
        await Task.Delay(hold);

        // Still open after the hold? A server that dropped idle connections would show here.
        var alive = sockets.Count(static s => s is not null && !(s.Poll(0, SelectMode.SelectRead) && s.Available == 0));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"closing alive={alive}"));
        foreach (var socket in sockets)
        {
            // Reset, not closed: each socket was bound to its own ephemeral port, and 10,000 of them in TIME_WAIT for a
            // minute left the next side of idle-connections.sh short of ports ("Address already in use").
            if (socket is not null)
            {
                socket.LingerState = new LingerOption(true, 0);
            }

            socket?.Dispose();
        }

        return 0;
    }

    private const int IpProtocolLevel = 0;       // SOL_IP
    private const int IpBindAddressNoPort = 24;  // IP_BIND_ADDRESS_NO_PORT (Linux 4.2+)

    private static async Task<Socket> OpenAsync(IPEndPoint target, IPAddress source, string? clientId)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // IP_BIND_ADDRESS_NO_PORT: the source port is chosen at connect time, unique for this destination only.
            // A plain bind to port 0 takes a port unique across every destination, so after the earlier sides' tens of
            // thousands of connections (their TIME_WAITs included) the last side ran out: mosquitto got 1,406 of 10,000
            // with EADDRINUSE.
            socket.SetRawSocketOption(IpProtocolLevel, IpBindAddressNoPort, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(source, 0));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(target, timeout.Token);
            if (clientId is not null)
            {
                await socket.SendAsync(Connect(clientId), timeout.Token);
                var connack = new byte[4];
                var read = 0;
                while (read < 4)
                {
                    var n = await socket.ReceiveAsync(connack.AsMemory(read), timeout.Token);
                    if (n == 0)
                    {
                        throw new IOException("closed before CONNACK");
                    }

                    read += n;
                }

                if (connack[0] != 0x20 || connack[3] != 0)
                {
                    throw new InvalidDataException($"CONNACK {Convert.ToHexString(connack)}");
                }
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An MQTT 3.1.1 CONNECT: clean session, keepalive 1200 s (the longest SORACOM accepts), no credentials.</summary>
    private static byte[] Connect(string clientId)
    {
        var id = Encoding.ASCII.GetBytes(clientId);
        byte[] variable = [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 1200 >> 8, 1200 & 0xFF];
        var remaining = variable.Length + 2 + id.Length;
        var packet = new List<byte>(2 + remaining) { 0x10, (byte)remaining };
        packet.AddRange(variable);
        packet.Add((byte)(id.Length >> 8));
        packet.Add((byte)id.Length);
        packet.AddRange(id);
        return [.. packet];
    }
}
