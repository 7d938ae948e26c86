using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Adapters.Kafka;

/// <summary>Registers the Kafka Funnel destination.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="KafkaAdapterFactory"/> as an <see cref="IFunnelAdapterFactory"/> (once, however often called),
    /// for the Funnel service to find by <c>provider</c>/<c>service</c> <c>kafka</c>/<c>kafka</c>.
    /// </summary>
    public static IServiceCollection AddKafkaFunnelDestination(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, KafkaAdapterFactory>());
        return services;
    }
}
