using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Spool;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Harvest;

/// <summary>Registration of Harvest Data: options, the store, the batching writer, retention and the service.</summary>
internal static class HarvestServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="HarvestOptions"/> from <c>Gateway:Harvest</c> (validated at start), picks the store the
    /// registry uses (<c>harvest.db</c> in the data directory, or the registry's PostgreSQL), and registers
    /// <see cref="HarvestService"/> as an <see cref="IDeviceService"/>. Call it after Beam's and Funnel's registrations
    /// so the unified reply lists Harvest last. Needs <see cref="AddRegistry"/>'s options.
    /// </summary>
    public static IServiceCollection AddHarvest(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HarvestOptions>().Bind(configuration.GetSection(HarvestOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HarvestOptions>, HarvestOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new ErrorLog(10_000, TimeSpan.FromDays(1), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IHarvestStore>(static sp =>
        {
            var registry = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
            return registry.Store == "postgresql"
                ? new PostgresHarvestStore(registry.ConnectionString!)
                : new SqliteHarvestStore(Path.Combine(registry.DataDirectory, "harvest.db"));
        });
        services.TryAddSingleton<HarvestWriter>();
        services.AddHostedService(static sp => sp.GetRequiredService<HarvestWriter>());
        services.TryAddSingleton<HarvestRetention>();
        services.AddHostedService(static sp => sp.GetRequiredService<HarvestRetention>());
        services.AddSpool<HarvestSpoolConsumer>(configuration, HarvestService.ServiceName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceService, HarvestService>());
        return services;
    }
}
