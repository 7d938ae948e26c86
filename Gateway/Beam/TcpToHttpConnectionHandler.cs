using System.Buffers;
using System.Net;
using Gateway.Framing;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// TCP→HTTP on the unified port. Without framing, whatever arrives in one read becomes one POST (at most 64 KiB),
/// as SORACOM documents ("at arbitrary timing"). With Binary Format v1 each frame becomes one POST; a frame with a
/// bad CRC is dropped and answered <c>400 invalid Binary Format v1 frame: CRC mismatch</c>. Replies go back on
/// the same connection, in order, which stays open for more data.
/// </summary>
internal sealed partial class TcpToHttpConnectionHandler(
    TcpAdmission admission, PayloadPoster poster, IOptions<BeamOptions> options, ILogger<TcpToHttpConnectionHandler> logger) : ConnectionHandler
{
    public const string Name = "tcp";
    public const int MaxMessage = 65536;

    /// <summary>How long the device may leave the connection with nothing to do (<see cref="BeamOptions.TcpIdleSeconds"/>).</summary>
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(options.Value.TcpIdleSeconds);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (await admission.AdmitAsync(connection, Name, static c => c.TcpToHttp, "no Beam TCP entry for this device's group") is not var (device, config, entry, lease))
        {
            return;
        }

        using var admitted = lease;

        var output = connection.Transport.Output;
        var input = connection.Transport.Input;

        // Not ConnectionClosed: Kestrel signals it as soon as the device half-closes, and a device that sends and
        // then shuts down its side still expects its reply. Each POST has its own timeout (the idle time does not
        // run during one); waits on the device, for its next message or for it to take a reply, end after the idle time.
        var token = CancellationToken.None;
        using var idle = new CancellationTokenSource();
        try
        {
            while (true)
            {
                idle.CancelAfter(_idleTimeout);
                var result = await input.ReadAsync(idle.Token);
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                var buffer = result.Buffer;
                if (entry.BinaryFormatV1)
                {
                    while (true)
                    {
                        var status = BinaryFormatV1.TryRead(ref buffer, out var body);
                        if (status == FrameStatus.Incomplete)
                        {
                            break;
                        }

                        byte[] reply;
                        if (status == FrameStatus.Complete)
                        {
                            reply = DeviceReply.Format(entry, await poster.PostAsync(Name, device, config, entry, body.ToArray(), token), tcp: true);
                        }
                        else
                        {
                            BeamMetrics.Count(Name, status == FrameStatus.BadCrc ? "bad_crc" : "bad_frame");
                            reply = DeviceReply.Refusal(400, status == FrameStatus.BadCrc ? "invalid Binary Format v1 frame: CRC mismatch" : "invalid Binary Format v1 frame: zero length", entry.EndOfData);
                        }

                        await WriteReplyAsync(output, reply, idle);
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                else
                {
                    while (!buffer.IsEmpty)
                    {
                        var chunk = buffer.Slice(0, Math.Min(buffer.Length, MaxMessage));
                        var reply = DeviceReply.Format(entry, await poster.PostAsync(Name, device, config, entry, chunk.ToArray(), token), tcp: true);
                        buffer = buffer.Slice(chunk.End);
                        await WriteReplyAsync(output, reply, idle);
                    }

                    input.AdvanceTo(buffer.End);
                }

                if (result.IsCompleted)
                {
                    if (entry.BinaryFormatV1 && !buffer.IsEmpty)
                    {
                        BeamMetrics.Count(Name, "truncated_frame");
                    }

                    return;
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            BeamMetrics.Count(Name, "idle_timeout");
            LogIdle(logger, device.Label, (int)_idleTimeout.TotalSeconds);
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The device went away; nothing to answer.
        }
    }

    /// <summary>A reply to the device; one that it does not take within the idle time ends the connection.</summary>
    private async ValueTask WriteReplyAsync(System.IO.Pipelines.PipeWriter output, byte[] reply, CancellationTokenSource idle)
    {
        if (reply.Length == 0)
        {
            return;
        }

        idle.CancelAfter(_idleTimeout);
        await output.WriteAsync(reply, idle.Token);
        idle.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Beam tcp: subscriber {Imsi} idle for {Seconds} s; connection closed")]
    private static partial void LogIdle(ILogger logger, string imsi, int seconds);
}
