using System.Net;
using Gateway.Pipeline;
using Gateway.ProxyProtocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Gateway.Devices.Mqtt;

namespace Gateway.Devices;

/// <summary>Registration of the device-service entry points: services, Kestrel listeners and the HTTP branch.</summary>
internal static class DeviceEndpointExtensions
{
    /// <summary>The HTTP device services listener's handler (and the pipeline it feeds, if nothing registered it yet).</summary>
    public static IServiceCollection AddDeviceHttpEndpoint(this IServiceCollection services, DeviceEndpointOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<MessagePipeline>();
        services.AddSingleton<DeviceHttpEndpoint>();
        return services;
    }

    /// <summary>
    /// The MQTT pipeline endpoint (the gateway's own MQTT server side, no listener of its own: connections come from
    /// <see cref="ListenDeviceEndpoints"/> and the WebSocket branch).
    /// </summary>
    public static IServiceCollection AddMqttPipelineEndpoint(this IServiceCollection services, DeviceEndpointOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<MessagePipeline>();
        if (options.MqttServerNeeded)
        {
            services.AddSingleton<MqttPipelineEndpoint>();
            services.AddSingleton<MqttTcpConnectionHandler>();
        }

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
        var mqtt = app.ApplicationServices.GetService<MqttPipelineEndpoint>();
        app.MapWhen(c => c.Connection.LocalPort == options.HttpPort, b =>
        {
            b.UseWebSockets();
            b.Run(c => mqtt is not null && c.WebSockets.IsWebSocketRequest && c.Request.Path == "/mqtt"
                ? MqttWebSocket.RunAsync(c, mqtt)
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
}
