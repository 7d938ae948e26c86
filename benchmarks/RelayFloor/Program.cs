using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;

// usage: relay-floor LISTEN_PORT UPSTREAM_PORT (both on 127.0.0.1). Answers only what a fixed-size upstream reply
// with Content-Length needs: enough to measure, not to serve anyone.
if (args.Length != 2 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port) || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var upstreamPort))
{
    Console.Error.WriteLine("usage: relay-floor LISTEN_PORT UPSTREAM_PORT");
    return 2;
}

// The gateway's defaults (Gateway:Beam:InlineIoCompletions): completions and pipe continuations on the I/O threads.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var floor = new Gateway.RelayFloor.Floor(new IPEndPoint(IPAddress.Loopback, upstreamPort));
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseSockets(static o => o.UnsafePreferInlineScheduling = true);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Run(floor.ServeAsync)));
await builder.Build().RunAsync();
return 0;

namespace Gateway.RelayFloor
{
    /// <summary>Relays each request head with four static identity headers added, and the upstream's reply as it came.</summary>
    internal sealed class Floor(IPEndPoint upstream)
    {
        private static readonly byte[] s_identity = Encoding.ASCII.GetBytes(
            "x-soracom-imsi: 440101234567890\r\nx-soracom-timestamp: 1445587157992\r\n" +
            "x-soracom-signature: 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5\r\nx-soracom-signature-version: 20151001\r\n\r\n");

        private readonly ConcurrentStack<Socket> _idle = new();

        public async Task ServeAsync(ConnectionContext connection)
        {
            var input = connection.Transport.Input;
            var output = connection.Transport.Output;
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await input.ReadAsync();
                var received = read.Buffer;
                var end = HeadEnd(received);
                if (end < 0)
                {
                    if (read.IsCompleted)
                    {
                        return;
                    }

                    input.AdvanceTo(received.Start, received.End);
                    continue;
                }

                // The head without its blank line, then the identity lines and the blank line.
                var kept = (int)end - 2;
                received.Slice(0, kept).CopyTo(buffer);
                s_identity.CopyTo(buffer, kept);
                input.AdvanceTo(received.GetPosition(end));
                if (!_idle.TryPop(out var socket))
                {
                    socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(upstream);
                }

                await socket.SendAsync(buffer.AsMemory(0, kept + s_identity.Length));
                var length = await ReadReplyAsync(socket, buffer);
                _idle.Push(socket);
                await output.WriteAsync(buffer.AsMemory(0, length));
            }
        }

        private static long HeadEnd(ReadOnlySequence<byte> buffer)
        {
            if (buffer.IsSingleSegment)
            {
                var i = buffer.FirstSpan.IndexOf("\r\n\r\n"u8);
                return i < 0 ? -1 : i + 4;
            }

            var reader = new SequenceReader<byte>(buffer);
            return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8) ? reader.Consumed : -1;
        }

        /// <summary>Reads one reply framed by Content-Length into the buffer; returns its length.</summary>
        private static async Task<int> ReadReplyAsync(Socket socket, byte[] buffer)
        {
            var have = 0;
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(have));
                if (n == 0)
                {
                    throw new IOException("the upstream closed the connection");
                }

                have += n;
                var headEnd = buffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8);
                if (headEnd < 0)
                {
                    continue;
                }

                var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
                var at = head.IndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase) + "Content-Length:".Length;
                var lineEnd = head.IndexOf('\r', at);
                var total = headEnd + 4 + int.Parse(head.AsSpan(at, (lineEnd < 0 ? head.Length : lineEnd) - at).Trim(), CultureInfo.InvariantCulture);
                while (have < total)
                {
                    n = await socket.ReceiveAsync(buffer.AsMemory(have));
                    if (n == 0)
                    {
                        throw new IOException("the upstream closed the connection");
                    }

                    have += n;
                }

                return total;
            }
        }
    }
}
