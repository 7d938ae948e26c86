using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.ProxyProtocol;

/// <summary>Registration of the PROXY protocol gate and its place on a Kestrel listener.</summary>
internal static class ProxyProtocolServiceCollectionExtensions
{
    public static IServiceCollection AddProxyProtocol(this IServiceCollection services, ProxyProtocolOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ProxyProtocolMetrics>();
        services.AddSingleton<ProxyProtocolGate>();
        return services;
    }

    /// <summary>
    /// Puts the gate first on a device listener when some proxy is trusted (nothing at all otherwise); call it before
    /// anything else the listener uses (TLS, the relay, a connection handler).
    /// </summary>
    public static ListenOptions UseProxyProtocol(this ListenOptions listen, string entryPoint)
    {
        if (listen.ApplicationServices.GetService<ProxyProtocolGate>() is { IsOn: true } gate)
        {
            listen.Use(gate.Middleware(entryPoint));
        }

        return listen;
    }
}
