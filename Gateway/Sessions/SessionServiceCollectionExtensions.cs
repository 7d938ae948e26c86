using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>Registration of <see cref="DeviceSessions"/>.</summary>
internal static class SessionServiceCollectionExtensions
{
    /// <summary>Binds <see cref="SessionOptions"/> from <c>Gateway:Sessions</c> (validated at start) and adds the tracker.</summary>
    public static IServiceCollection AddDeviceSessions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionOptions>().Bind(configuration.GetSection(SessionOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionOptions>, SessionOptionsValidator>());
        services.TryAddSingleton<DeviceSessions>();
        return services;
    }
}
