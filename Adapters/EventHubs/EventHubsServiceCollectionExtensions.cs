using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Adapters.EventHubs;

/// <summary>Registers the Azure Event Hubs Funnel destination.</summary>
public static class EventHubsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="EventHubsAdapterFactory"/> as an <see cref="IFunnelAdapterFactory"/> (once, however often called),
    /// for the Funnel service to find by <c>provider</c>/<c>service</c> <c>azure</c>/<c>eventhubs</c>.
    /// </summary>
    public static IServiceCollection AddEventHubsFunnelDestination(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, EventHubsAdapterFactory>());
        return services;
    }
}
