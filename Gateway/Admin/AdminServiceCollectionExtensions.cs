using Microsoft.Extensions.Options;

namespace Gateway.Admin;

/// <summary>Registration of the admin API's services (its routes are <c>MapAdminApi</c>).</summary>
internal static class AdminServiceCollectionExtensions
{
    /// <summary>The options and the auth keys: the root key (from the settings or generated into the data directory) and the configured ones.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services, AdminOptions options, string rootKeyId, string rootKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(sp => new AdminAuth(rootKeyId, rootKey, options.AuthKeys, sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
