using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Tail;

/// <summary>Registration of the live <see cref="MessageTail"/> (its route is <see cref="TailApi.MapTailApi"/>).</summary>
internal static class TailServiceCollectionExtensions
{
    public static IServiceCollection AddMessageTail(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MessageTail>();
        return services;
    }
}
