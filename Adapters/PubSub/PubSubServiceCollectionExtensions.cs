using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Adapters.PubSub;

/// <summary>Registers the Google Pub/Sub Funnel destination.</summary>
public static class PubSubServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="PubSubAdapterFactory"/> as an <see cref="IFunnelAdapterFactory"/> (once, however often called),
    /// for the Funnel service to find by <c>provider</c>/<c>service</c> <c>google</c>/<c>pubsub</c>.
    /// </summary>
    public static IServiceCollection AddPubSubFunnelDestination(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, PubSubAdapterFactory>());
        return services;
    }
}
