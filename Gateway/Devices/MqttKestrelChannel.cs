using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using MQTTnet.Adapter;
using MQTTnet.AspNetCore;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace Gateway.Devices;

/// <summary>
/// One MQTT connection on the Kestrel port, as MQTTnet's server sees it: packets decoded from the connection's pipe
/// (MQTTnet's own decoder), packets encoded into it. It replaces MQTTnet.AspNetCore's <c>MqttConnectionContext</c>
/// for two reasons. The size limit: a packet whose fixed header announces more than
/// <see cref="MqttPacketLimit.MaxPacketBytes"/> closes the connection before any of its body is buffered (MQTTnet
/// 5.2 has no maximum and holds a whole packet). And memory per idle connection: MQTTnet's context holds a send lock
/// with a 64-slot waiter queue (about 0.7 KiB), where one send at a time needs only a <see cref="SemaphoreSlim"/>.
/// </summary>
internal sealed class MqttKestrelChannel(MqttPacketFormatterAdapter formatter, ConnectionContext connection, MqttPacketLimit limit) : IMqttChannelAdapter
{
    private readonly PipeReader _input = connection.Transport.Input;
    private readonly PipeWriter _output = connection.Transport.Output;
    private readonly SemaphoreSlim _sending = new(1, 1);

    public long BytesReceived { get; private set; }

    public long BytesSent { get; private set; }

    public X509Certificate2? ClientCertificate => connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;

    public EndPoint? RemoteEndPoint => connection.RemoteEndPoint;

    public EndPoint? LocalEndPoint => connection.LocalEndPoint;

    public bool IsSecureConnection => connection.Features.Get<ITlsConnectionFeature>() is not null;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => formatter;

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        _input.Complete();
        _output.Complete();
        return Task.CompletedTask;
    }

    public void Dispose() => _sending.Dispose();

    public void ResetStatistics() => (BytesReceived, BytesSent) = (0, 0);

    /// <summary>The next packet; null only when cancelled. Throws when the device is gone or broke the protocol.</summary>
    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = await _input.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                var consumed = buffer.Start;
                var observed = buffer.Start;
                try
                {
                    if (MqttPacketLimit.AnnouncesTooMuch(buffer))
                    {
                        limit.Refuse(connection);
                        throw new MqttCommunicationException("MQTT packet over the size limit");
                    }

                    if (!buffer.IsEmpty && formatter.TryDecode(buffer, out var packet, out consumed, out observed, out var received))
                    {
                        BytesReceived += received;
                        return packet;
                    }

                    if (read.IsCompleted)
                    {
                        // Nothing more will come: an empty buffer is a closed connection, a partial packet a cut one.
                        throw new MqttCommunicationException("Connection Aborted");
                    }
                }
                finally
                {
                    // Until a whole packet is there, everything was looked at: wait for more before reading again.
                    _input.AdvanceTo(consumed, observed);
                }
            }
        }
        catch (Exception e)
        {
            // No byte after a protocol error or a refusal is read, and none is written.
            _input.Complete(e);
            _output.Complete(e);
            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return null!;
    }

    public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            var buffer = formatter.Encode(packet);
            var span = _output.GetSpan(buffer.Length);
            buffer.Packet.AsSpan().CopyTo(span);
            buffer.Payload.CopyTo(span[buffer.Packet.Count..]);
            _output.Advance(buffer.Length);
            await _output.FlushAsync(cancellationToken);
            BytesSent += buffer.Length;
        }
        finally
        {
            formatter.Cleanup();
            _sending.Release();
        }
    }
}
