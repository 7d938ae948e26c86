using Gateway.Beam;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Delivery;

/// <summary>Registration of the delivery stage's shared pieces.</summary>
internal static class DeliveryServiceCollectionExtensions
{
    /// <summary>
    /// The pooled upstream client (<see cref="BeamHttpClient"/>, shared with the HTTP relay) and the one
    /// <see cref="MessageHttpSender"/> every message-style HTTP delivery goes through. Idempotent.
    /// </summary>
    public static IServiceCollection AddMessageDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton<BeamHttpClient>();
        services.TryAddSingleton<MessageHttpSender>();
        return services;
    }
}
