using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;

namespace Gateway.Devices.Mqtt;

/// <summary>
/// MQTT over WebSocket at <c>/mqtt</c> on the HTTP device listener (MQTT 5 §6, 3.1.1 §6): binary messages carry the
/// byte stream, and a message may hold part of a packet or several. The same endpoint serves it as the MQTT port,
/// through pipes over the WebSocket.
/// </summary>
internal static class MqttWebSocket
{
    /// <summary>How long the gateway waits for the device's answer to its close message.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The subprotocol answered (§6.0: "mqtt"; some 3.1 clients ask for "mqttv3.1"). A request naming neither is still
    /// served, without one, as browsers' libraries of old did not always name it.
    /// </summary>
    public static string? SubProtocol(IList<string> requested)
    {
        foreach (var wanted in (ReadOnlySpan<string>)["mqtt", "mqttv3.1"])
        {
            foreach (var protocol in requested)
            {
                if (string.Equals(protocol, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return protocol;
                }
            }
        }

        return null;
    }

    public static async Task RunAsync(HttpContext context, MqttPipelineEndpoint endpoint)
    {
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(SubProtocol(context.WebSockets.WebSocketRequestedProtocols));
        await using var stream = WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, ownsWebSocket: false);
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        var remote = context.Connection.RemoteIpAddress is { } address ? new IPEndPoint(address, context.Connection.RemotePort) : null;
        try
        {
            await endpoint.RunAsync(input, output, remote, MqttPipelineEndpoint.WebSocketName);
            await output.CompleteAsync();
            await input.CompleteAsync();
            if (webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseTimeout);
                await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The device went away first: nothing left to close politely.
        }
    }
}
