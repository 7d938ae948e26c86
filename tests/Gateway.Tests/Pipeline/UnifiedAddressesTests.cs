using System.Net;
using Gateway.Beam;
using Gateway.Pipeline;

namespace Gateway.Tests.Pipeline;

/// <summary>The unified port's per-service addresses: which service an address names, and what a bad setting gets at start.</summary>
public sealed class UnifiedAddressesTests
{
    [Fact]
    public void An_address_names_its_service_and_any_other_address_is_the_unified_endpoint()
    {
        var addresses = new UnifiedAddresses(new Dictionary<string, string> { ["funnel"] = "127.0.0.61", ["beam"] = "::ffff:127.0.0.62" });

        Assert.Equal("funnel", addresses.ServiceFor(IPAddress.Parse("127.0.0.61")));
        Assert.Equal("funnel", addresses.ServiceFor(IPAddress.Parse("127.0.0.61").MapToIPv6()));
        Assert.Equal("beam", addresses.ServiceFor(IPAddress.Parse("127.0.0.62")));
        Assert.Null(addresses.ServiceFor(IPAddress.Parse("127.0.0.1")));
        Assert.Null(addresses.ServiceFor(null));
        Assert.Null(new UnifiedAddresses(new Dictionary<string, string>()).ServiceFor(IPAddress.Loopback));
    }

    [Fact]
    public void Harvests_own_port_names_Harvest_whatever_the_address()
    {
        var addresses = new UnifiedAddresses(new Dictionary<string, string> { ["funnel"] = "127.0.0.61" }, harvestPort: 8514);

        Assert.Equal("harvest", addresses.ServiceForEndPoint(new IPEndPoint(IPAddress.Loopback, 8514)));
        Assert.Equal("harvest", addresses.ServiceForEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.61"), 8514)));
        Assert.Equal("funnel", addresses.ServiceForEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.61"), 23080)));
        Assert.Null(addresses.ServiceForEndPoint(new IPEndPoint(IPAddress.Loopback, 23080)));
        Assert.Null(new UnifiedAddresses(new Dictionary<string, string>()).ServiceForEndPoint(new IPEndPoint(IPAddress.Loopback, 8514)));
    }

    [Fact]
    public void Harvests_port_must_differ_from_the_other_device_ports() =>
        Assert.Contains(
            "Gateway:Beam: HttpPort, WebsitePort, UnifiedPort, TcpPort, MqttPort, HttpsPort and HarvestPort must differ.",
            new BeamOptions { HarvestPort = 23080 }.Validate());

    [Theory]
    [InlineData(null, "UDP", "no Beam UDP entry for this device's group")]
    [InlineData("beam", "TCP", "no Beam TCP entry for this device's group")]
    [InlineData("funnel", "UDP", "Funnel is not enabled for this device's group")]
    [InlineData("harvest", "TCP", "Harvest is not enabled for this device's group")]
    public void A_device_no_service_takes_is_told_which_one(string? service, string protocol, string reason) =>
        Assert.Equal(reason, UnifiedAddresses.NoServiceReason(service, protocol));

    [Fact]
    public void Good_settings_pass() =>
        Assert.Empty(Options("127.0.0.1", ("funnel", "127.0.0.2"), ("beam", "127.0.0.3")).Validate());

    [Theory]
    [InlineData("0.0.0.0", "funnel", "127.0.0.2", "Gateway:Beam:ListenAddress must be a specific address (not 0.0.0.0) when UnifiedServiceAddresses are set.")]
    [InlineData("127.0.0.1", "funk", "127.0.0.2", "Gateway:Beam:UnifiedServiceAddresses:funk: unknown service; known: beam, funnel, harvest.")]
    [InlineData("127.0.0.1", "funnel", "funnel.local", "Gateway:Beam:UnifiedServiceAddresses:funnel must be a specific IP address (was 'funnel.local').")]
    [InlineData("127.0.0.1", "funnel", "0.0.0.0", "Gateway:Beam:UnifiedServiceAddresses:funnel must be a specific IP address (was '0.0.0.0').")]
    [InlineData("127.0.0.1", "funnel", "127.0.0.1", "Gateway:Beam:UnifiedServiceAddresses:funnel: 127.0.0.1 is already the listen address or another service's.")]
    public void A_bad_setting_is_named_at_start(string listen, string service, string address, string error) =>
        Assert.Contains(error, Options(listen, (service, address)).Validate());

    [Fact]
    public void Two_services_cannot_share_an_address() =>
        Assert.Contains(
            "is already the listen address or another service's",
            string.Join("\n", Options("127.0.0.1", ("funnel", "127.0.0.2"), ("beam", "127.0.0.2")).Validate()),
            StringComparison.Ordinal);

    private static BeamOptions Options(string listen, params (string Service, string Address)[] addresses) => new()
    {
        ListenAddress = listen,
        UnifiedServiceAddresses = addresses.ToDictionary(static a => a.Service, static a => a.Address, StringComparer.Ordinal),
    };
}
