using System.Buffers;
using System.IO.Pipelines;
using System.Net;
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
            if (addresses.Length == 1)
            {
                // The usual case (an address literal, one DNS record): the one-endpoint call, without the array
                // overload's own async loop (≈ 0.2 KiB of garbage per connection, which stays in resident memory
                // between the connections that remain open: docs/performance.md).
                await socket.ConnectAsync(new IPEndPoint(addresses[0], entry.Destination.Port), cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(addresses, entry.Destination.Port, cancellationToken);
            }
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
    /// idle cut when <paramref name="restartOnData"/> (for the TCP relay any traffic counts; for MQTT only with
    /// keepalive 0). Ending completes the device's side and ends <paramref name="idle"/>, which stops the other
    /// direction's pump too.
    /// </summary>
    /// <remarks>
    /// It waits with a zero-byte read (sockets and TLS streams complete one when bytes arrive, without taking any),
    /// and only then takes a buffer, the device pipe's own: an idle connection holds none. A 16 KiB buffer held across
    /// the wait was three quarters of an idle MQTT relay connection's memory (docs/performance.md).
    /// </remarks>
    public static async Task PumpToDeviceAsync(Stream upstream, PipeWriter device, IRelayIdle idle, bool restartOnData)
    {
        try
        {
            while (true)
            {
#pragma warning disable CA2022 // A zero-byte read: it only waits for bytes, there is nothing to read into.
                await upstream.ReadAsync(Memory<byte>.Empty, idle.Token);
#pragma warning restore CA2022
                var n = await upstream.ReadAsync(device.GetMemory(ChunkBytes), idle.Token);
                if (n == 0)
                {
                    break;
                }

                device.Advance(n);
                var flush = await device.FlushAsync(idle.Token);
                if (restartOnData)
                {
                    idle.Restart();
                }

                // Cancelled: the idle cut ended the relay while the device was not taking what was sent.
                if (flush.IsCompleted || flush.IsCanceled)
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
            await device.CompleteAsync();
            await idle.EndAsync();
        }
    }

    /// <summary>What one read asks of the device pipe: Kestrel's block size, so a read never needs more than one block.</summary>
    private const int ChunkBytes = 4096;
}
