using Gateway.Delivery;
using Gateway.Adapters;
using Gateway.Beam;
using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Spool;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Funnel;

/// <summary>Registration of Funnel: options, the error log, the adapters this build knows, the dispatcher and the service.</summary>
internal static class FunnelServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="FunnelOptions"/> from <c>Gateway:Funnel</c> (validated at start; the operator ID falls back to
    /// <c>Gateway:Admin:OperatorId</c> as LPWA's does) and registers <see cref="FunnelService"/> as an
    /// <see cref="IDeviceService"/>. Call it after Beam's registration so the unified reply lists Beam first.
    /// Needs the registry's <see cref="Registry.IdentityResolver"/>.
    /// </summary>
    public static IServiceCollection AddFunnel(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FunnelOptions>()
            .Bind(configuration.GetSection(FunnelOptions.SectionName))
            .PostConfigure(o => o.OperatorId ??= configuration["Gateway:Admin:OperatorId"] ?? "OP0000000000")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FunnelOptions>, FunnelOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMessageDelivery();
        services.TryAddSingleton(static sp =>
        {
            var o = sp.GetRequiredService<IOptions<FunnelOptions>>().Value;
            return new ErrorLog(o.ErrorLogCapacity, TimeSpan.FromMinutes(o.ErrorLogRetentionMinutes), sp.GetRequiredService<TimeProvider>());
        });
        foreach (var factory in FunnelAdapters.Known)
        {
            services.AddSingleton(factory);
        }

        services.TryAddSingleton(static sp => new FunnelDispatcher(
            sp.GetServices<IFunnelAdapterFactory>(),
            sp.GetRequiredService<Registry.IdentityResolver>(),
            sp.GetRequiredService<IOptions<FunnelOptions>>(),
            new AdapterContext
            {
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
                Time = sp.GetRequiredService<TimeProvider>(),
                Http = sp.GetRequiredService<Delivery.MessageHttpSender>().Invoker,
                DeliveryDeadline = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<FunnelOptions>>().Value.DeliveryTimeoutSeconds),
            },
            sp.GetRequiredService<ILogger<FunnelDispatcher>>()));
        services.AddSpool<FunnelSpoolConsumer>(configuration, FunnelService.ServiceName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceService, FunnelService>());
        return services;
    }
}
