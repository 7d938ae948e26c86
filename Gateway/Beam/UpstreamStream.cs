using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam;

/// <summary>
/// The byte-stream upstream the TCP relay and the MQTT entry point share: a TCP connection to the entry's
/// destination, wrapped in TLS for the secure scheme (system trust plus the entry's CA, and the entry's or the SIM's
/// client certificate), and the pump that copies what it sends back to the device.
/// </summary>
internal static class UpstreamStream
{
    /// <summary>
    /// Connects; on failure nothing is left open and the exception (socket, TLS, cancellation) reaches the caller,
    /// which classifies it with <see cref="UpstreamFailure"/>. The stream does not own the socket, so a relay can
    /// still shut down one direction of it; dispose both.
    /// </summary>
    public static async Task<(Socket Socket, Stream Stream)> ConnectAsync(
        BeamEntry entry, BeamGroupConfig config, DeviceIdentity device, string secureScheme, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            Hosting.DescriptorBudget.ThrowIfOver(socket);
            var addresses = await UpstreamResolver.Shared.ResolveAsync(entry.Destination.IdnHost, cancellationToken);
            await socket.ConnectAsync(addresses, entry.Destination.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (entry.Destination.Scheme == secureScheme)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                var tlsOptions = new SslClientAuthenticationOptions { TargetHost = entry.Destination.Host };
                config.TlsFor(entry, device.Subscriber!.Imsi)?.Apply(tlsOptions);
                await tls.AuthenticateAsClientAsync(tlsOptions, cancellationToken);
            }

            return (socket, stream);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Upstream → device, unchanged, until either side ends or <paramref name="idle"/> fires. Each chunk restarts the
    /// idle timer when <paramref name="idleAfter"/> is given (for the TCP relay any traffic counts; for MQTT only
    /// with keepalive 0). Ending completes the device's side and cancels <paramref name="idle"/>, which stops the
    /// other direction's pump too.
    /// </summary>
    public static async Task PumpToDeviceAsync(Stream upstream, PipeWriter device, CancellationTokenSource idle, TimeSpan? idleAfter)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await upstream.ReadAsync(buffer, idle.Token)) > 0)
            {
                var flush = await device.WriteAsync(buffer.AsMemory(0, n), idle.Token);
                if (idleAfter is { } after)
                {
                    idle.CancelAfter(after);
                }

                if (flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ConnectionResetException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await device.CompleteAsync();
            await idle.CancelAsync();
        }
    }
}
