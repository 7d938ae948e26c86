using Gateway.Devices;
using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Endorse;

/// <summary>Registration of Endorse on the HTTP device listener, with its keys from the data directory.</summary>
internal static class EndorseServiceCollectionExtensions
{
    public static IServiceCollection AddEndorse(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EndorseOptions>().Bind(configuration.GetSection(EndorseOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);

        // Loaded (or generated) when the device listener is mapped, at start: a data directory it cannot write stops
        // the gateway then, not at a device's first token request.
        services.AddSingleton(static sp => EndorseKeyStore.LoadOrCreate(
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.DataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EndorseEndpoint>();
        services.AddSingleton<IDeviceHostHandler>(static sp => sp.GetRequiredService<EndorseEndpoint>());
        return services;
    }
}
