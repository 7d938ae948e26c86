using System.Buffers;
using System.Net.WebSockets;

namespace Gateway.Beam;

/// <summary>
/// The website entry point's WebSocket relay: connect upstream first (with the Beam headers), and only then
/// accept the device, so a failed upstream is an HTTP 502 the device can see. Messages pass both ways unchanged;
/// a close on either side is passed on; with no message either way for the idle time (SORACOM documents 300 s,
/// <see cref="BeamOptions.WebSocketIdleSeconds"/>) both are dropped.
/// </summary>
internal static class WebSocketRelay
{
    /// <summary>The upstream URI for a destination: http→ws, https→wss; ws and wss stay.</summary>
    public static Uri ToWebSocketUri(Uri target)
    {
        var builder = new UriBuilder(target);
        builder.Scheme = target.Scheme switch
        {
            "https" or "wss" => "wss",
            _ => "ws",
        };
        return builder.Uri;
    }

    public static async Task RelayAsync(HttpContext context, ClientWebSocket upstream, TimeSpan idleTimeout)
    {
        using var device = await context.WebSockets.AcceptWebSocketAsync(upstream.SubProtocol);
        using var idle = new CancellationTokenSource(idleTimeout);
        // Each direction ends when its sender closes; the close is passed on and the other direction runs until the
        // close comes back, which completes the handshake on both sides. A failure on one side aborts the other.
        await Task.WhenAll(PumpAsync(device, upstream, idle, idleTimeout), PumpAsync(upstream, device, idle, idleTimeout));
    }

    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationTokenSource idle, TimeSpan idleTimeout)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, idle.Token);
                idle.CancelAfter(idleTimeout);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseOutputAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, CancellationToken.None);
                    }

                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, idle.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            to.Abort();
            from.Abort();
            await idle.CancelAsync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
