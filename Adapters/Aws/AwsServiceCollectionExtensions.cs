using Gateway.Adapters.AwsIot;
using Gateway.Adapters.Firehose;
using Gateway.Adapters.Kinesis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Adapters.Aws;

/// <summary>Registers the AWS Funnel destinations.</summary>
public static class AwsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="KinesisAdapterFactory"/>, <see cref="FirehoseAdapterFactory"/> and <see cref="AwsIotAdapterFactory"/>
    /// as <see cref="IFunnelAdapterFactory"/> (once each, however often called), for <c>aws</c>/<c>kinesis</c>,
    /// <c>aws</c>/<c>firehose</c> and <c>aws</c>/<c>aws-iot</c>.
    /// </summary>
    public static IServiceCollection AddAwsFunnelDestinations(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, KinesisAdapterFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, FirehoseAdapterFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFunnelAdapterFactory, AwsIotAdapterFactory>());
        return services;
    }
}
