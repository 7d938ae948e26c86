using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Radius;

/// <summary>
/// Registers the RADIUS accounting listener as a hosted service, with its options validated at start. The caller
/// registers the <see cref="IAccountingEventSink"/> (the listener cannot be built without one), e.g.
/// <c>services.AddSingleton&lt;IAccountingEventSink, RegistryAccountingSink&gt;()</c>.
/// The listener is resolvable as <see cref="RadiusAccountingListener"/> for its bound endpoint.
/// </summary>
internal static class RadiusServiceCollectionExtensions
{
    /// <summary>Binds <see cref="RadiusOptions"/> from a configuration section (normally <c>Gateway:Radius</c>); errors name settings by that section's path.</summary>
    public static IServiceCollection AddRadiusAccounting(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var path = section is IConfigurationSection s ? s.Path : RadiusOptions.SectionName;
        services.AddOptions<RadiusOptions>().Bind(section);
        return services.AddRadiusAccountingCore(path);
    }

    /// <summary>Configures <see cref="RadiusOptions"/> in code; errors name settings under <c>Gateway:Radius</c>.</summary>
    public static IServiceCollection AddRadiusAccounting(this IServiceCollection services, Action<RadiusOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<RadiusOptions>().Configure(configure);
        return services.AddRadiusAccountingCore(RadiusOptions.SectionName);
    }

    private static IServiceCollection AddRadiusAccountingCore(this IServiceCollection services, string path)
    {
        services.AddOptions<RadiusOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RadiusOptions>>(new RadiusOptionsValidator(path)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RadiusAccountingListener>();
        services.AddHostedService(static sp => sp.GetRequiredService<RadiusAccountingListener>());
        return services;
    }
}
