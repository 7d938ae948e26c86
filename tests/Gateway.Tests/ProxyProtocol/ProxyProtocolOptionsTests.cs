using System.Diagnostics.Metrics;
using Gateway.ProxyProtocol;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>Gateway:ProxyProtocol is checked at start, each mistake named.</summary>
public sealed class ProxyProtocolOptionsTests
{
    [Fact]
    public void Off_by_default_and_valid()
    {
        var options = new ProxyProtocolOptions();
        Assert.Empty(options.TrustedProxies);
        Assert.Equal(5, options.HeaderTimeoutSeconds);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Addresses_and_ranges_of_both_families_are_taken()
    {
        var options = new ProxyProtocolOptions { TrustedProxies = ["10.0.0.5", "10.1.0.0/16", "fd00::/64", "::ffff:10.2.0.1"] };
        Assert.Empty(options.Validate());
        Assert.Equal(4, options.Ranges().Length);
    }

    [Theory]
    [InlineData("haproxy.internal", "must each be one IP address or CIDR range")]
    [InlineData("10.0.0.1/8", "no host bits past the prefix")]
    [InlineData("10.0.0.0/33", "must each be one IP address or CIDR range")]
    [InlineData("10.0.0.1,10.0.0.2", "must each be one IP address or CIDR range")]
    [InlineData("0.0.0.0/0", "must not trust every address")]
    [InlineData("::/0", "must not trust every address")]
    public void A_wrong_entry_is_named(string entry, string message)
    {
        var error = Assert.Single(new ProxyProtocolOptions { TrustedProxies = [entry] }.Validate());
        Assert.Contains("Gateway:ProxyProtocol:TrustedProxies", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains(entry, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(61)]
    public void A_header_timeout_out_of_range_is_named(int seconds)
    {
        var error = Assert.Single(new ProxyProtocolOptions { HeaderTimeoutSeconds = seconds }.Validate());
        Assert.Contains("Gateway:ProxyProtocol:HeaderTimeoutSeconds must be between 1 and 60", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_setting_stops_the_start_with_its_name()
    {
        var dir = Directory.CreateTempSubdirectory("gw-pp-").FullName;
        var (exit, _, error) = await CliRunner.RunProcessAsync(
            "", "--data-dir", dir, "--Gateway:ProxyProtocol:TrustedProxies:0", "10.0.0.1/8", "--Gateway:ProxyProtocol:TrustedProxies:1", "0.0.0.0/0");

        Assert.Equal(2, exit);
        Assert.Contains("2 configuration error(s)", error, StringComparison.Ordinal);
        Assert.Contains("Gateway:ProxyProtocol:TrustedProxies entries must each be one IP address or CIDR range with no host bits past the prefix, e.g. 10.0.0.5 or 10.0.0.0/24 (was '10.0.0.1/8')", error, StringComparison.Ordinal);
        Assert.Contains("Gateway:ProxyProtocol:TrustedProxies must not trust every address (was '0.0.0.0/0')", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_gate_trusts_only_the_configured_ranges_including_ipv4_mapped_peers()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var gate = new ProxyProtocolGate(
            new ProxyProtocolOptions { TrustedProxies = ["127.0.0.40/30", "fd00::7"] },
            new ProxyProtocolMetrics(services.GetRequiredService<IMeterFactory>()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ProxyProtocolGate>.Instance);
        Assert.True(gate.IsOn);
        Assert.True(gate.IsTrusted(System.Net.IPAddress.Parse("127.0.0.42")));
        Assert.True(gate.IsTrusted(System.Net.IPAddress.Parse("::ffff:127.0.0.43")));
        Assert.True(gate.IsTrusted(System.Net.IPAddress.Parse("fd00::7")));
        Assert.False(gate.IsTrusted(System.Net.IPAddress.Parse("127.0.0.44")));
        Assert.False(gate.IsTrusted(System.Net.IPAddress.Parse("fd00::8")));
    }
}
