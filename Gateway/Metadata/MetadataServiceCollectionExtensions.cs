using Gateway.Devices;

namespace Gateway.Metadata;

/// <summary>Registration of the metadata service on the HTTP device listener.</summary>
internal static class MetadataServiceCollectionExtensions
{
    public static IServiceCollection AddMetadataService(this IServiceCollection services)
    {
        services.AddSingleton<MetadataEndpoint>();
        services.AddSingleton<IDeviceHostHandler>(static sp => sp.GetRequiredService<MetadataEndpoint>());
        return services;
    }
}
