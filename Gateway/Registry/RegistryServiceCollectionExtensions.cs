using Gateway.Radius;
using Gateway.Registry.Stores;
using Microsoft.Extensions.Options;

namespace Gateway.Registry;

/// <summary>Registration of the device registry and what feeds it.</summary>
internal static class RegistryServiceCollectionExtensions
{
    /// <summary>
    /// The store (SQLite in the data directory, or PostgreSQL), the <see cref="IdentityResolver"/> every entry point
    /// asks, and the <see cref="RegistryService"/> that loads the store (written from <paramref name="seed"/> first)
    /// and keeps the resolver current, as a hosted service.
    /// </summary>
    public static IServiceCollection AddRegistry(this IServiceCollection services, RegistryOptions options, RegistryDocument? seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<IdentityResolver>();
        services.AddSingleton(RegistryStores.Create(options));
        services.AddSingleton(sp => new RegistryService(
            sp.GetRequiredService<IRegistryStore>(),
            sp.GetRequiredService<IdentityResolver>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>(),
            sp.GetRequiredService<ILogger<RegistryService>>(),
            seed));
        services.AddHostedService(static sp => sp.GetRequiredService<RegistryService>());
        return services;
    }

    /// <summary>
    /// RADIUS accounting (<c>Gateway:Radius</c>) binding addresses to subscribers in the registry, joining unknown
    /// IMSIs to <c>Gateway:Radius:AutoRegisterGroupId</c> when that is set.
    /// </summary>
    public static IServiceCollection AddRadiusBindings(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var autoRegisterGroup = configuration["Gateway:Radius:AutoRegisterGroupId"];
        services.AddRadiusAccounting(configuration.GetSection("Gateway:Radius"));
        services.AddSingleton<IAccountingEventSink>(sp => new AccountingBindingSink(
            sp.GetRequiredService<IdentityResolver>(), sp.GetRequiredService<RegistryService>(), autoRegisterGroup, sp.GetRequiredService<ILogger<AccountingBindingSink>>()));
        return services;
    }
}
