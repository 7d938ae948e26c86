using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Spool;

/// <summary>Registration of the spools behind <c>queued</c> delivery.</summary>
internal static class SpoolServiceCollectionExtensions
{
    /// <summary>
    /// A spool named <paramref name="name"/> in <c>&lt;Gateway:Spool:Directory&gt;/&lt;name&gt;</c> (default
    /// <c>&lt;data directory&gt;/spool/&lt;name&gt;</c>), resolved as the keyed <see cref="DurableSpool"/>
    /// <paramref name="name"/> and opened (replaying what an earlier run left) when the host starts, and a
    /// <see cref="SpoolPump"/> delivering its records through <typeparamref name="TConsumer"/>.
    /// </summary>
    public static IServiceCollection AddSpool<TConsumer>(this IServiceCollection services, IConfiguration configuration, string name)
        where TConsumer : class, ISpoolConsumer
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SpoolOptions>().Bind(configuration.GetSection(SpoolOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpoolOptions>, SpoolOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddKeyedSingleton(name, static (sp, key) =>
        {
            var options = sp.GetRequiredService<IOptions<SpoolOptions>>().Value;
            var root = options.Directory ?? Path.Combine(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.DataDirectory, "spool");
            OwnerOnlyDirectory(root);
            var spoolName = (string)key!;
            return DurableSpool.Open(Path.Combine(root, spoolName), spoolName, options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Spool." + spoolName));
        });
        services.TryAddSingleton<TConsumer>();
        // Not AddHostedService: it adds one hosted service per implementation type, and every spool's pump is a SpoolPump.
        services.AddSingleton<IHostedService>(sp => new SpoolPump(
            sp.GetRequiredKeyedService<DurableSpool>(name),
            sp.GetRequiredService<TConsumer>(),
            sp.GetRequiredService<IOptions<SpoolOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SpoolPump>>()));
        return services;
    }

    private static void OwnerOnlyDirectory(string path) => Registry.Stores.OwnerOnlyFiles.EnsureDirectory(path);
}
