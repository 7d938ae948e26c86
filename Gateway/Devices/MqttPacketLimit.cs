using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Devices;

/// <summary>
/// The MQTT port's packet-size limit: <see cref="MqttKestrelChannel"/> closes a connection as soon as a packet's fixed
/// header announces more than <see cref="MaxPacketBytes"/>. MQTTnet 5.2's server has no maximum packet size and
/// buffers a whole packet before decoding it, so without this one client could make the process hold up to MQTT's
/// 256 MiB per connection.
/// </summary>
internal sealed partial class MqttPacketLimit(ILogger<MqttPacketLimit> logger)
{
    /// <summary>Largest remaining length (variable header and payload) of one packet: Funnel's HTTP body limit and room for a topic and properties.</summary>
    public const int MaxPacketBytes = DeviceEndpointOptions.MaxHttpBodyBytes + 64 * 1024;

    /// <summary>
    /// Whether the packet at the start of <paramref name="buffer"/> announces a remaining length over
    /// <paramref name="max"/>. Its fixed header is enough: none of the body needs to have arrived. False while the
    /// header itself is incomplete, and for a malformed length (MQTTnet's decoder refuses that one).
    /// </summary>
    public static bool AnnouncesTooMuch(in ReadOnlySequence<byte> buffer, int max = MaxPacketBytes) =>
        Beam.Mqtt.MqttFrame.TryReadHeader(buffer, out _, out _, out var remainingLength) == Beam.Mqtt.MqttFrameStatus.Packet && remainingLength > max;

    /// <summary>Counts and logs a refused packet and closes its connection.</summary>
    public void Refuse(ConnectionContext connection)
    {
        DeviceMetrics.Count(MqttPipelineEndpoint.TcpName, "too_large");
        LogTooLarge(logger, connection.RemoteEndPoint?.ToString() ?? "-", MaxPacketBytes);
        connection.Abort(new ConnectionAbortedException("MQTT packet over the size limit"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device mqtt: {RemoteEndPoint} announced a packet over {Max} bytes; connection closed")]
    private static partial void LogTooLarge(ILogger logger, string remoteEndPoint, int max);
}
