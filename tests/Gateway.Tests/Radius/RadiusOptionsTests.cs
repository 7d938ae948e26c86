using Gateway.Radius;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Radius;

[Collection(RadiusMeterTests.Name)]
public sealed class RadiusOptionsTests
{
    private static List<string> Errors(RadiusOptions options) =>
        new RadiusOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Every_bad_setting_is_reported_by_its_path_without_echoing_secrets()
    {
        var options = new RadiusOptions
        {
            Enabled = true,
            Listen = "localhost",
            DuplicateWindow = TimeSpan.Zero,
            QueueCapacity = 0,
            Concurrency = 0,
            SinkTimeout = TimeSpan.FromHours(1),
        };
        options.Clients.Add(new RadiusClientOptions { Address = "10.0.0.1/8", Secret = "hunter2" });
        options.Clients.Add(new RadiusClientOptions { Address = "192.0.2.1", Secret = "" });
        options.Clients.Add(new RadiusClientOptions { Address = "192.0.2.1/32", Secret = "hunter3" });

        var errors = Errors(options);

        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:Listen ", StringComparison.Ordinal) && e.Contains("'localhost'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:Clients:0:Address ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:Clients:1:Secret ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:Clients:2:Address ", StringComparison.Ordinal) && e.Contains("twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:DuplicateWindow ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:QueueCapacity ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:Concurrency ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Radius:SinkTimeout ", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("hunter", StringComparison.Ordinal));
    }

    [Fact]
    public void Enabled_without_clients_is_an_error_and_disabled_is_never_checked()
    {
        Assert.Contains(Errors(new RadiusOptions { Enabled = true }), e => e.StartsWith("Gateway:Radius:Clients ", StringComparison.Ordinal));
        Assert.Empty(Errors(new RadiusOptions { Enabled = false, Listen = "nonsense" }));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("")]
    public void A_listen_endpoint_needs_an_address_and_a_port(string listen)
    {
        var options = new RadiusOptions { Enabled = true, Listen = listen };
        options.Clients.Add(new RadiusClientOptions { Address = "127.0.0.1", Secret = "s" });

        Assert.Contains(Errors(options), e => e.StartsWith("Gateway:Radius:Listen ", StringComparison.Ordinal));
    }

    [Fact]
    public void Ipv6_endpoints_and_ranges_are_accepted()
    {
        var options = new RadiusOptions { Enabled = true, Listen = "[::1]:0" };
        options.Clients.Add(new RadiusClientOptions { Address = "2001:db8::/32", Secret = "s" });
        options.Clients.Add(new RadiusClientOptions { Address = "::1", Secret = "s" });

        Assert.Empty(Errors(options));
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IAccountingEventSink, RecordingSink>();
        builder.Services.AddRadiusAccounting(configuration.GetSection("Gateway:Radius"));
        return builder.Build();
    }

    [Fact]
    public async Task Registration_binds_the_section_and_refuses_to_start_with_bad_settings()
    {
        using var bad = BuildHost(new()
        {
            ["Gateway:Radius:Enabled"] = "true",
            ["Gateway:Radius:Clients:0:Address"] = "not-an-address",
            ["Gateway:Radius:Clients:0:Secret"] = "s",
        });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Gateway:Radius:Clients:0:Address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_starts_the_listener_as_a_hosted_service()
    {
        using var host = BuildHost(new()
        {
            ["Gateway:Radius:Enabled"] = "true",
            ["Gateway:Radius:Listen"] = "127.0.0.1:0",
            ["Gateway:Radius:Clients:0:Address"] = "127.0.0.0/8",
            ["Gateway:Radius:Clients:0:Secret"] = "s",
            ["Gateway:Radius:DuplicateWindow"] = "00:00:05",
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var listener = host.Services.GetRequiredService<RadiusAccountingListener>();
        var options = host.Services.GetRequiredService<IOptions<RadiusOptions>>().Value;

        Assert.NotEqual(0, listener.LocalEndPoint!.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), options.DuplicateWindow);
        Assert.Equal("127.0.0.0/8", Assert.Single(options.Clients).Address);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_disabled_listener_binds_nothing()
    {
        using var host = BuildHost(new() { ["Gateway:Radius:Enabled"] = "false" });

        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.Null(host.Services.GetRequiredService<RadiusAccountingListener>().LocalEndPoint);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
