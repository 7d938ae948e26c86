using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Gateway.Framing;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>
/// TCP→HTTP on the unified port, an entry point of the message pipeline. Without framing, whatever arrives in one
/// read becomes one message (at most 64 KiB), as SORACOM documents ("at arbitrary timing"). With Binary Format v1
/// each frame becomes one message; a frame with a bad CRC is dropped and answered
/// <c>400 invalid Binary Format v1 frame: CRC mismatch</c>. Replies go back on the same connection, in order, which
/// stays open for more data unless a service asked for it to be closed.
/// </summary>
internal sealed partial class TcpToHttpConnectionHandler(
    TcpAdmission admission, MessagePipeline pipeline, IdentityResolver resolver, UnifiedAddresses addresses, TimeProvider time, IOptions<BeamOptions> options,
    ILogger<TcpToHttpConnectionHandler> logger) : ConnectionHandler
{
    public const string Name = "tcp";
    public const int MaxMessage = 65536;

    /// <summary>How long the device may leave the connection with nothing to do (<see cref="BeamOptions.TcpIdleSeconds"/>).</summary>
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(options.Value.TcpIdleSeconds);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var service = addresses.ServiceForEndPoint(connection.LocalEndPoint as IPEndPoint);
        if (await admission.AdmitAsync(connection, Name, pipeline, SourceProtocol.Tcp, UnifiedAddresses.NoServiceReason(service, "TCP"), service) is not var (device, lease))
        {
            return;
        }

        using var admitted = lease;
        var connectionState = new DeviceConnection(
            device, service, connection.RemoteEndPoint as IPEndPoint, TcpFraming.For(device, resolver.Snapshot, service), connection.Transport.Output);

        // Not ConnectionClosed: Kestrel signals it as soon as the device half-closes, and a device that sends and
        // then shuts down its side still expects its reply. Each delivery has its own timeout (the idle time does not
        // run during one); waits on the device, for its next message or for it to take a reply, end after the idle time.
        using var idle = new CancellationTokenSource();
        try
        {
            await ReadMessagesAsync(connection.Transport.Input, connectionState, idle);
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

    private async Task ReadMessagesAsync(PipeReader input, DeviceConnection connection, CancellationTokenSource idle)
    {
        while (true)
        {
            idle.CancelAfter(_idleTimeout);
            var result = await input.ReadAsync(idle.Token);
            idle.CancelAfter(Timeout.InfiniteTimeSpan);
            var (consumed, close) = connection.Framing.BinaryFormatV1
                ? await HandleFramesAsync(connection, result.Buffer, idle)
                : await HandleReadsAsync(connection, result.Buffer, idle);
            var truncated = result.IsCompleted && connection.Framing.BinaryFormatV1 && !result.Buffer.Slice(consumed).IsEmpty;
            input.AdvanceTo(consumed, result.Buffer.End);
            if (close)
            {
                return;
            }

            if (result.IsCompleted)
            {
                if (truncated)
                {
                    BeamMetrics.Count(Name, "truncated_frame");
                }

                return;
            }
        }
    }

    /// <summary>Binary Format v1: each whole frame is one message; an incomplete one waits for more bytes.</summary>
    private async ValueTask<(SequencePosition Consumed, bool Close)> HandleFramesAsync(DeviceConnection connection, ReadOnlySequence<byte> buffer, CancellationTokenSource idle)
    {
        while (true)
        {
            var status = BinaryFormatV1.TryRead(ref buffer, out var body);
            if (status == FrameStatus.Incomplete)
            {
                return (buffer.Start, false);
            }

            (byte[] Text, bool Close) reply;
            if (status == FrameStatus.Complete)
            {
                reply = await ProcessAsync(connection, body);
            }
            else
            {
                BeamMetrics.Count(Name, status == FrameStatus.BadCrc ? "bad_crc" : "bad_frame");
                reply = (DeviceReply.Refusal(400, status == FrameStatus.BadCrc ? "invalid Binary Format v1 frame: CRC mismatch" : "invalid Binary Format v1 frame: zero length", connection.Framing.EndOfData), false);
            }

            await WriteReplyAsync(connection.Output, reply.Text, idle);
            if (reply.Close)
            {
                return (buffer.Start, true);
            }
        }
    }

    /// <summary>No framing: whatever one read brought is one message, cut at <see cref="MaxMessage"/>.</summary>
    private async ValueTask<(SequencePosition Consumed, bool Close)> HandleReadsAsync(DeviceConnection connection, ReadOnlySequence<byte> buffer, CancellationTokenSource idle)
    {
        while (!buffer.IsEmpty)
        {
            var chunk = buffer.Slice(0, Math.Min(buffer.Length, MaxMessage));
            var (text, close) = await ProcessAsync(connection, chunk);
            buffer = buffer.Slice(chunk.End);
            await WriteReplyAsync(connection.Output, text, idle);
            if (close)
            {
                return (buffer.Start, true);
            }
        }

        return (buffer.End, false);
    }

    /// <summary>One message through the pipeline, and the bytes the device gets back.</summary>
    private async ValueTask<(byte[] Text, bool Close)> ProcessAsync(DeviceConnection connection, ReadOnlySequence<byte> bytes)
    {
        // The pipe's own memory when the message lies in one segment (valid until AdvanceTo, after delivery); a pooled
        // copy when it spans several.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var rented = bytes.IsSingleSegment ? null : ArrayPool<byte>.Shared.Rent((int)bytes.Length);
        try
        {
            ReadOnlyMemory<byte> payload = bytes.IsSingleSegment ? bytes.First : rented.AsMemory(0, (int)bytes.Length);
            if (rented is not null)
            {
                bytes.CopyTo(rented);
            }

            var message = new DeviceMessage
            {
                Device = connection.Device,
                Protocol = SourceProtocol.Tcp,
                EntryPoint = Name,
                Source = connection.Source,
                Payload = payload,
                Json = GroupBinaryParser.Parse(connection.Device.Group, payload.Span),
                ReceivedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                OnlyService = connection.Service,
            };
            var result = await pipeline.ProcessAsync(message, CancellationToken.None);
            if (result.IsEmpty)
            {
                // Admission found a service, over the same group object; reached only if the services changed their minds.
                BeamMetrics.Count(Name, "no_entry");
                return (DeviceReply.Refusal(404, UnifiedAddresses.NoServiceReason(connection.Service, "TCP"), [0x0a]), true);
            }

            var reply = UnifiedReply.Text(result, connection.Framing.EndOfData, UnifiedEndpointSettings.For(connection.Device.Group));
            BeamMetrics.RequestDuration(Name, started);
            return (reply, result.CloseConnection);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A reply to the device; one that it does not take within the idle time ends the connection.</summary>
    private async ValueTask WriteReplyAsync(PipeWriter output, byte[] reply, CancellationTokenSource idle)
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

    /// <summary>What stays the same for a connection's messages.</summary>
    private sealed record DeviceConnection(DeviceIdentity Device, string? Service, IPEndPoint? Source, TcpFraming Framing, PipeWriter Output);
}
