using Gateway.Funnel;
using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Funnel;

/// <summary>
/// Funnel as the gateway registers it (<c>AddFunnel</c>) behind a real <see cref="MessagePipeline"/>, over a
/// registry from <see cref="FunnelRegistry"/>.
/// </summary>
internal sealed class FunnelHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private readonly string _spoolDirectory;

    private FunnelHarness(ServiceProvider services, IdentityResolver resolver, string spoolDirectory)
    {
        _services = services;
        Resolver = resolver;
        _spoolDirectory = spoolDirectory;
    }

    public IdentityResolver Resolver { get; }

    public IServiceProvider Services => _services;

    public MessagePipeline Pipeline => _services.GetRequiredService<MessagePipeline>();

    public FunnelDispatcher Dispatcher => _services.GetRequiredService<FunnelDispatcher>();

    public ErrorLog ErrorLog => _services.GetRequiredService<ErrorLog>();

    public DeviceIdentity Device => FunnelRegistry.Device(Resolver);

    public static FunnelHarness Create(string seed, int deliveryTimeoutSeconds = 5, Action<IServiceCollection>? configure = null)
    {
        // A spool directory of its own: a spool belongs to one owner at a time (it is locked), and two harnesses may
        // live at once.
        var spool = Directory.CreateTempSubdirectory("gw-funnel-spool-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Admin:OperatorId"] = "OP0012345678",
            ["Gateway:Spool:Directory"] = spool,
            ["Gateway:Funnel:DeliveryTimeoutSeconds"] = deliveryTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Funnel:RetryBaseDelayMilliseconds"] = "20",
            ["Gateway:Funnel:RetryMaxDelayMilliseconds"] = "200",
        }).Build();
        var resolver = FunnelRegistry.Resolver(seed);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(resolver);
        configure?.Invoke(services);
        services.AddFunnel(configuration);
        services.AddSingleton<MessagePipeline>();
        return new FunnelHarness(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }), resolver, spool);
    }

    public async Task<ServiceResult> SendAsync(SourceProtocol protocol, string payload, string? contentType = null)
    {
        var result = await Pipeline.ProcessAsync(FunnelRegistry.Message(Device, protocol, payload, contentType: contentType), TestContext.Current.CancellationToken);
        return Assert.Single(result.Results);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Directory.Delete(_spoolDirectory, recursive: true);
    }
}
