using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Health;

/// <summary>Registration of the <see cref="DestinationHealthBoard"/> (its route is <see cref="HealthApi.MapHealthApi"/>).</summary>
internal static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddDestinationHealth(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DestinationHealthBoard>();
        return services;
    }
}
