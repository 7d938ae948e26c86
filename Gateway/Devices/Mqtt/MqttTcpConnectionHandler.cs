using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Devices.Mqtt;

/// <summary>The MQTT pipeline port's Kestrel connection handler: each connection is served by <see cref="MqttPipelineEndpoint"/> on the connection's own pipes.</summary>
internal sealed class MqttTcpConnectionHandler(MqttPipelineEndpoint endpoint) : ConnectionHandler
{
    // Not async: the endpoint's task is Kestrel's, without a state machine of this method's kept by every idle connection.
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        endpoint.RunAsync(connection.Transport.Input, connection.Transport.Output, connection.RemoteEndPoint as IPEndPoint, MqttPipelineEndpoint.TcpName);
}
