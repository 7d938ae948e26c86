using System.Buffers;
using Gateway.Beam.Mqtt;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// The MQTT pipeline endpoint's packet-size limit. A packet whose fixed header announces a larger remaining length
/// closes its connection before any of its body is buffered (MQTT 5 clients are told the limit in the CONNACK's Maximum
/// Packet Size), so one client cannot make the process hold up to MQTT's 256 MiB.
/// </summary>
internal static class MqttPacketLimit
{
    /// <summary>Largest remaining length (variable header and payload) of one packet: Funnel's HTTP body limit and room for a topic and properties.</summary>
    public const int MaxPacketBytes = DeviceEndpointOptions.MaxHttpBodyBytes + 64 * 1024;

    /// <summary>
    /// Frames the packet at the start of <paramref name="buffer"/>: <see cref="MqttFrameStatus.TooLarge"/> as soon as its
    /// fixed header announces more than <see cref="MaxPacketBytes"/> (none of the body needs to have arrived),
    /// <see cref="MqttFrameStatus.Incomplete"/> until the whole packet is there.
    /// </summary>
    public static MqttFrameStatus TryRead(in ReadOnlySequence<byte> buffer, out byte first, out int headerLength, out int remainingLength)
    {
        var status = MqttFrame.TryReadHeader(buffer, out first, out headerLength, out remainingLength);
        if (status != MqttFrameStatus.Packet)
        {
            return status;
        }

        if (remainingLength > MaxPacketBytes)
        {
            return MqttFrameStatus.TooLarge;
        }

        return buffer.Length >= headerLength + remainingLength ? MqttFrameStatus.Packet : MqttFrameStatus.Incomplete;
    }
}
