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
}
