namespace Gateway.Beam.Mqtt;

/// <summary>CONNACK return codes of MQTT 3.1.1 (§3.2.2.3).</summary>
internal enum ConnectReturnCode : byte
{
    Accepted = 0x00,
    UnacceptableProtocolVersion = 0x01,
    IdentifierRejected = 0x02,
    ServerUnavailable = 0x03,
    BadUserNameOrPassword = 0x04,
    NotAuthorized = 0x05,
}
