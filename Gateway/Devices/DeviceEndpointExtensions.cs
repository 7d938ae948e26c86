using System.Net;
using Gateway.Pipeline;
using Gateway.ProxyProtocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MQTTnet.AspNetCore;
using MQTTnet.Server;

namespace Gateway.Devices;

/// <summary>Registration of the device-service entry points: services, Kestrel listeners and the HTTP branch.</summary>
internal static class DeviceEndpointExtensions
{
    /// <summary>MQTTnet's per-connection packet-encoding buffer, kept while the connection lives.</summary>
    internal const int WriterBufferBytes = 128;

    /// <summary>How often MQTTnet looks for clients silent past 1.5 keepalives (its default: 500 ms).</summary>
    internal static readonly TimeSpan KeepAliveMonitorInterval = TimeSpan.FromSeconds(1);

    /// <summary>The HTTP device services listener's handler (and the pipeline it feeds, if nothing registered it yet).</summary>
    public static IServiceCollection AddDeviceHttpEndpoint(this IServiceCollection services, DeviceEndpointOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<MessagePipeline>();
        services.AddSingleton<DeviceHttpEndpoint>();
        return services;
    }

    /// <summary>
    /// MQTTnet's server hosted in Kestrel (no listener of its own: connections come from <see cref="ListenDeviceEndpoints"/>
    /// and the WebSocket branch), with <see cref="MqttPipelineEndpoint"/> attached before it starts.
    /// </summary>
    public static IServiceCollection AddMqttPipelineEndpoint(this IServiceCollection services, DeviceEndpointOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<MessagePipeline>();
        if (!options.MqttServerNeeded)
        {
            return services;
        }

        services.AddSingleton<MqttPipelineEndpoint>();
        services.AddSingleton<MqttPacketLimit>();
        services.AddSingleton<MqttTcpConnectionHandler>();
        services.AddSingleton<IMqttServerAdapter>(static s => s.GetRequiredService<MqttTcpConnectionHandler>());
        services.AddMqttWebSocketServerAdapter();

        // Not persisted: a session ends with its connection, so nothing of one device outlives it.
        var server = new MqttServerOptionsBuilder().WithoutDefaultEndpoint().Build();

        // Each connection keeps its own packet-encoding buffer for its lifetime (MQTTnet's default 4 KiB, a quarter of
        // an idle connection's memory). This endpoint only ever sends acknowledgements (it routes no PUBLISH to
        // anyone), a few bytes (a refused SUBACK's MQTT 5 reason string ≈ 90): a larger one (a PUBACK with a long
        // failure reason) grows the buffer for that packet and is then given back.
        server.WriterBufferSize = WriterBufferBytes;
        server.WriterBufferSizeMax = WriterBufferBytes;

        // MQTTnet's keep-alive monitor copies the list of every client on each pass (80 KB at 10,000 clients), garbage
        // that lands between the objects of connections arriving meanwhile and stays in resident memory
        // (docs/performance.md, memory per idle connection). Every second instead of every half: a client silent for
        // 1.5 keepalives is cut at most a second later.
        server.KeepAliveOptions.MonitorInterval = KeepAliveMonitorInterval;
        services.AddHostedMqttServer(server);

        // MqttHostedServer starts the server only once the application has started, after every hosted service's
        // StartAsync: attaching here comes first.
        services.AddHostedService<MqttPipelineAttacher>();
        return services;
    }

    /// <summary>The Kestrel listeners: the HTTP device port (plain HTTP/1.1) and the MQTT port.</summary>
    public static void ListenDeviceEndpoints(this KestrelServerOptions kestrel, IPAddress address, DeviceEndpointOptions options)
    {
        if (options.HttpPort != 0)
        {
            kestrel.Listen(address, options.HttpPort, static l => l.UseProxyProtocol("device_http"));
        }

        if (options.MqttPort != 0)
        {
            kestrel.Listen(address, options.MqttPort, static l => l.UseProxyProtocol("device_mqtt").UseConnectionHandler<MqttTcpConnectionHandler>());
        }
    }

    /// <summary>
    /// Serves the HTTP device port before routing reaches the admin API: MQTT over WebSocket at <c>/mqtt</c>, the Hosts
    /// of registered <see cref="IDeviceHostHandler"/>s through them, everything else through <see cref="DeviceHttpEndpoint"/>.
    /// </summary>
    public static void MapDeviceHttpEndpoint(this IApplicationBuilder app, DeviceEndpointOptions options)
    {
        if (options.HttpPort == 0)
        {
            return;
        }

        var http = app.ApplicationServices.GetRequiredService<DeviceHttpEndpoint>();
        var handlers = app.ApplicationServices.GetServices<IDeviceHostHandler>().ToArray();
        var webSockets = app.ApplicationServices.GetService<MqttWebSocketServerAdapter>();
        app.MapWhen(c => c.Connection.LocalPort == options.HttpPort, b =>
        {
            b.UseWebSockets();
            b.Run(c => webSockets is not null && c.WebSockets.IsWebSocketRequest && c.Request.Path == "/mqtt"
                ? RunWebSocketAsync(c, webSockets)
                : Dispatch(c, handlers, http));
        });
    }

    /// <summary>Services with a request/response API of their own (metadata, Endorse) by Host; every other request is a message.</summary>
    private static Task Dispatch(HttpContext context, IDeviceHostHandler[] handlers, DeviceHttpEndpoint http)
    {
        if (handlers.Length > 0)
        {
            var route = DeviceHostRoute.Match(context.Request.Host.Host);
            foreach (var handler in handlers)
            {
                if (handler.Route == route)
                {
                    return handler.HandleAsync(context);
                }
            }
        }

        return http.HandleAsync(context);
    }

    private static async Task RunWebSocketAsync(HttpContext context, MqttWebSocketServerAdapter adapter)
    {
        // MQTT over WebSocket names its subprotocol "mqtt" (some clients "mqttv3.1"); one is echoed back as the spec asks.
        var subProtocol = MqttSubProtocolSelector.SelectSubProtocol(context.Request);
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        await adapter.RunWebSocketConnectionAsync(webSocket, context);
    }

    /// <summary>Attaches the pipeline endpoint's handlers to MQTTnet's server at start.</summary>
    private sealed class MqttPipelineAttacher(MqttServer server, MqttPipelineEndpoint endpoint) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            endpoint.Attach(server);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
