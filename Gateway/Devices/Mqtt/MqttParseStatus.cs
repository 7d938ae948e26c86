namespace Gateway.Devices.Mqtt;

/// <summary>
/// What reading a device's packet found wrong, as the MQTT 5 reason code the gateway's DISCONNECT carries before it
/// closes the connection (MQTT 3.1.1 has no such packet: the connection is just closed, §4.8).
/// </summary>
internal enum MqttParseStatus : byte
{
    Ok = 0x00,

    /// <summary>The bytes do not make the packet they announce (§1.5, §2.2): a length past the end, bad UTF-8, reserved bits.</summary>
    Malformed = 0x81,

    /// <summary>Well formed, but not allowed here: a second CONNECT, a property twice, a packet a client never sends.</summary>
    ProtocolError = 0x82,

    /// <summary>A CONNECT of a protocol level other than 3 (MQTT 3.1), 4 (3.1.1) and 5: answered with CONNACK 0x01 (3.1.1's code).</summary>
    UnsupportedProtocolVersion = 0x84,

    /// <summary>A PUBLISH topic with a wildcard, or empty.</summary>
    TopicNameInvalid = 0x90,

    /// <summary>A topic alias, which this endpoint never offers (its CONNACK has no Topic Alias Maximum, so 0).</summary>
    TopicAliasInvalid = 0x94,
}
