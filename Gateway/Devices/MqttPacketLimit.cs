using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Devices;

/// <summary>
/// A Kestrel connection middleware in front of MQTTnet on the MQTT port that closes a connection as soon as a packet's
/// fixed header announces more than <see cref="MaxPacketBytes"/>. MQTTnet 5.2's server has no maximum packet size
/// and buffers a whole packet before handing it on, so without this one client could make the process hold up to
/// MQTT's 256 MiB per connection. Only the fixed headers are read; the bytes pass through unchanged.
/// </summary>
internal sealed partial class MqttPacketLimit(ILogger<MqttPacketLimit> logger)
{
    /// <summary>Largest remaining length (variable header and payload) of one packet: Funnel's HTTP body limit and room for a topic and properties.</summary>
    public const int MaxPacketBytes = DeviceEndpointOptions.MaxHttpBodyBytes + 64 * 1024;

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var original = connection.Transport;
        var checkedInput = new Pipe();
        connection.Transport = new Duplex(checkedInput.Reader, original.Output);
        var pump = PumpAsync(original.Input, checkedInput.Writer, connection);
        try
        {
            await next(connection);
        }
        finally
        {
            // MQTTnet is done reading: completing its side frees a pump waiting for room, cancelling frees one waiting for bytes.
            await checkedInput.Reader.CompleteAsync();
            original.Input.CancelPendingRead();
            await pump;
            connection.Transport = original;
        }
    };

    private async Task PumpAsync(PipeReader input, PipeWriter output, ConnectionContext connection)
    {
        var framing = new Framing();
        try
        {
            while (true)
            {
                var read = await input.ReadAsync();
                var buffer = read.Buffer;
                if (!framing.Accept(buffer, MaxPacketBytes))
                {
                    DeviceMetrics.Count(MqttPipelineEndpoint.TcpName, "too_large");
                    LogTooLarge(logger, connection.RemoteEndPoint?.ToString() ?? "-", MaxPacketBytes);
                    input.AdvanceTo(buffer.End);
                    connection.Abort(new ConnectionAbortedException("MQTT packet over the size limit"));
                    break;
                }

                foreach (var segment in buffer)
                {
                    await output.WriteAsync(segment);
                }

                input.AdvanceTo(buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            // The device went away or MQTTnet finished with the connection: nothing more to pass on.
        }
        finally
        {
            await output.CompleteAsync();
        }
    }

    /// <summary>
    /// Where the byte stream is in MQTT's framing: in a fixed header (type byte, 1–4 length bytes) or skipping a body.
    /// Internal, not private, so that tests/tools/RandomInput can feed it.
    /// </summary>
    internal sealed class Framing
    {
        private long _bodyLeft;
        private bool _inLength;
        private int _length;
        private int _shift;

        /// <summary>False as soon as a packet announces more than <paramref name="max"/> bytes, or a malformed length.</summary>
        public bool Accept(ReadOnlySequence<byte> bytes, int max)
        {
            foreach (var segment in bytes)
            {
                var span = segment.Span;
                for (var i = 0; i < span.Length;)
                {
                    if (_bodyLeft > 0)
                    {
                        var skip = (int)Math.Min(_bodyLeft, span.Length - i);
                        _bodyLeft -= skip;
                        i += skip;
                        continue;
                    }

                    var b = span[i++];
                    if (!_inLength)
                    {
                        (_inLength, _length, _shift) = (true, 0, 0);
                        continue;
                    }

                    _length |= (b & 0x7F) << _shift;
                    _shift += 7;
                    if ((b & 0x80) == 0)
                    {
                        if (_length > max)
                        {
                            return false;
                        }

                        (_inLength, _bodyLeft) = (false, _length);
                    }
                    else if (_shift >= 28)
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device mqtt: {RemoteEndPoint} announced a packet over {Max} bytes; connection closed")]
    private static partial void LogTooLarge(ILogger logger, string remoteEndPoint, int max);
}
