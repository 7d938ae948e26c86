using Gateway.Beam.Relay;
using Gateway.Beam.Relay.Loop;
using Gateway.Delivery;
using Gateway.Pipeline;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Beam;

/// <summary>Registration of Beam: its stream relays, its entry points and its service in the message pipeline.</summary>
internal static class BeamServiceCollectionExtensions
{
    /// <summary>
    /// Beam's options, the HTTP entry point and byte-level relay (on the relay's event loops where they run), TCP
    /// admission, the UDP entry point (hosted), and <see cref="BeamService"/> as the pipeline's first
    /// <see cref="IDeviceService"/>: call it before any other service's <c>AddX</c>, so that Beam's result comes first.
    /// The Kestrel listeners for the ports are the host's.
    /// </summary>
    public static IServiceCollection AddBeam(this IServiceCollection services, BeamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddMessagePipeline();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceService, BeamService>());
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(new UnifiedAddresses(options.UnifiedServiceAddresses, options.HarvestPort));
        services.AddSingleton<TcpAdmission>();
        services.AddHttpForwarder();
        services.AddSingleton<BeamHttpEntryPoint>();
        services.AddSingleton<UpstreamPool>();
        services.AddSingleton<HttpRelay>();
        if (UsesEventLoops(options))
        {
            // Added after Kestrel's socket transport, so Kestrel asks it first; it binds only the relay's ports. One
            // registration: the container disposes what each registration made, and the loops are to stop once.
            services.AddSingleton<IConnectionListenerFactory, LoopTransportFactory>();
        }

        services.AddSingleton<UdpEntryPoint>();
        services.AddHostedService(static sp => sp.GetRequiredService<UdpEntryPoint>());
        return services;
    }

    /// <summary>True when the HTTP and website ports run on the relay's own event loops rather than Kestrel's sockets.</summary>
    public static bool UsesEventLoops(BeamOptions options) =>
        options.DirectRelay && options.EventLoopRelay && Native.IsSupported;
}
