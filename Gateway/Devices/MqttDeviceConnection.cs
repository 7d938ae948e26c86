using System.Net;
using MQTTnet.Formatter;

namespace Gateway.Devices;

/// <summary>
/// What the MQTT endpoint knows about one client ID's live connection, taken from the network at CONNECT: where it
/// comes from (identity is resolved again from this address for every PUBLISH, so registry changes apply at once),
/// which protocol version it speaks (how a failure is answered), and which device owns the client ID.
/// </summary>
internal sealed record MqttDeviceConnection(IPEndPoint Source, MqttProtocolVersion Version, string EntryPoint, string Owner);
