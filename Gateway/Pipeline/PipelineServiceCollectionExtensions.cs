using Gateway.Delivery;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Pipeline;

/// <summary>Registration of the message pipeline.</summary>
internal static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="MessagePipeline"/>, built from every <see cref="IDeviceService"/> registered in the container, in
    /// registration order (the order results are reported in; Beam's <c>AddBeam</c> registers first), and the shared
    /// HTTP sender. A service joins with one line: <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IDeviceService, FunnelService&gt;())</c>.
    /// Idempotent.
    /// </summary>
    public static IServiceCollection AddMessagePipeline(this IServiceCollection services)
    {
        services.AddMessageDelivery();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MessagePipeline>();
        return services;
    }
}
