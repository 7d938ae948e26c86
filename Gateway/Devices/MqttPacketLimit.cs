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
/// <remarks>
/// A reader in front of the connection's own, checking each byte once as MQTTnet's reads return it: no pipe, buffer
/// or task of its own, so an idle connection costs one small object more (a second pipe with a pump was about 1 KiB
/// per idle connection, docs/performance.md).
/// </remarks>
internal sealed partial class MqttPacketLimit(ILogger<MqttPacketLimit> logger)
{
    /// <summary>Largest remaining length (variable header and payload) of one packet: Funnel's HTTP body limit and room for a topic and properties.</summary>
    public const int MaxPacketBytes = DeviceEndpointOptions.MaxHttpBodyBytes + 64 * 1024;

    public ConnectionDelegate Wrap(ConnectionDelegate next) => connection =>
    {
        // Kestrel completes the transport it created itself when the connection ends, whatever replaced it here.
        var original = connection.Transport;
        connection.Transport = new Duplex(new CheckedReader(original.Input, connection, this), original.Output);
        return next(connection);
    };

    private void Refuse(ConnectionContext connection)
    {
        DeviceMetrics.Count(MqttPipelineEndpoint.TcpName, "too_large");
        LogTooLarge(logger, connection.RemoteEndPoint?.ToString() ?? "-", MaxPacketBytes);
        connection.Abort(new ConnectionAbortedException("MQTT packet over the size limit"));
    }

    /// <summary>
    /// The connection's reader, with every byte it returns fed once to <see cref="Framing"/>. Once a packet is over
    /// the limit the connection is aborted and every read answers "completed, nothing more", so MQTTnet ends the
    /// session without having seen any of the refused packet.
    /// </summary>
    private sealed class CheckedReader(PipeReader inner, ConnectionContext connection, MqttPacketLimit limit) : PipeReader
    {
        private static readonly ReadResult s_ended = new(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);

        private readonly Framing _framing = new();

        // The buffer the last read returned, and how many bytes at its start the framing has seen already.
        private ReadOnlySequence<byte> _last;
        private long _checked;
        private bool _refused;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (_refused)
            {
                return ValueTask.FromResult(s_ended);
            }

            var read = inner.ReadAsync(cancellationToken);
            return read.IsCompletedSuccessfully ? ValueTask.FromResult(Check(read.Result)) : CheckLaterAsync(read);
        }

        // Pooled: a read completes once per packet, and the pending one is all an idle connection holds here.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> CheckLaterAsync(ValueTask<ReadResult> read) => Check(await read);

        public override bool TryRead(out ReadResult result)
        {
            if (_refused)
            {
                result = s_ended;
                return true;
            }

            if (!inner.TryRead(out result))
            {
                return false;
            }

            result = Check(result);
            return true;
        }

        private ReadResult Check(ReadResult result)
        {
            var buffer = result.Buffer;
            if (buffer.Length > _checked && !_framing.Accept(buffer.Slice(_checked), MaxPacketBytes))
            {
                _refused = true;
                inner.AdvanceTo(buffer.End);
                _last = default;
                limit.Refuse(connection);
                return s_ended;
            }

            _last = buffer;
            _checked = buffer.Length;
            return result;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (_refused)
            {
                // The positions are of the empty "ended" buffer; the connection's reader was advanced past everything.
                return;
            }

            // What is consumed leaves the buffer; what stays was seen already and is not fed to the framing again.
            _checked -= _last.Slice(0, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
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
