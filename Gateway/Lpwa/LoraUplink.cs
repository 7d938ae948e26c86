namespace Gateway.Lpwa;

/// <summary>
/// A LoRaWAN uplink as the network server reported it, reduced to what the upstream body carries. The radio fields
/// are those of the gateway that heard the frame best (highest RSSI); they are null when the network server sent
/// no receive metadata.
/// </summary>
internal sealed record LoraUplink(string DevEui, byte[] Payload, long TimeMs, uint FPort, uint FCnt, double? Rssi, double? Snr, string? GatewayId);
