using System.Globalization;
using Gateway.Lpwa;
using Gateway.Tests.Admin;

namespace Gateway.Tests.Lpwa;

/// <summary>LPWA settings: checked at start, every message naming the setting; secrets never echoed.</summary>
public sealed class LpwaOptionsTests
{
    private static LpwaOptions Options(int port, params LpwaIntegrationOptions[] integrations)
    {
        var options = new LpwaOptions { Port = port, OperatorId = "OP0000000000" };
        foreach (var i in integrations)
        {
            options.Integrations.Add(i);
        }

        return options;
    }

    [Fact]
    public void Off_means_nothing_but_the_port_is_checked()
    {
        Assert.True(new LpwaOptionsValidator().Validate(null, Options(0)).Succeeded);
        var result = new LpwaOptionsValidator().Validate(null, Options(70000));
        Assert.Contains("Gateway:Lpwa:Port (--lpwa-port) must be between 0 (off) and 65535 (was 70000).", result.Failures!);
    }

    [Fact]
    public void Every_problem_is_named_and_the_secret_is_not_echoed()
    {
        var result = new LpwaOptionsValidator().Validate(null, Options(
            9999,
            new LpwaIntegrationOptions { Name = "cs", Type = "chirpstack", Secret = "chirpstack-secret-0001" },
            new LpwaIntegrationOptions { Name = "cs", Type = "ChirpStack", Secret = "chirpstack-secret-0002" },
            new LpwaIntegrationOptions { Name = "a/b", Type = "loriot", Secret = "short" }));

        Assert.Equal(
            [
                "Gateway:Lpwa:Integrations:1:Name 'cs' is used twice for type ChirpStack; each integration needs a name of its own.",
                "Gateway:Lpwa:Integrations:2:Name must be 1 to 64 letters, digits, '.', '_' or '-' (was 'a/b').",
                "Gateway:Lpwa:Integrations:2:Type must be chirpstack, tts or sigfox (was 'loriot').",
                "Gateway:Lpwa:Integrations:2:Secret must be at least 16 characters.",
            ],
            result.Failures);
        Assert.DoesNotContain(result.Failures!, f => f.Contains("short", StringComparison.Ordinal));
    }

    [Fact]
    public void A_listener_needs_an_integration_and_an_operator_id()
    {
        var options = Options(9999);
        options.OperatorId = "OP 1";
        Assert.Equal(
            [
                "Gateway:Lpwa:OperatorId must be printable ASCII without spaces, such as OP0012345678 (was 'OP 1').",
                "Gateway:Lpwa:Integrations must list at least one integration (Name, Type, Secret) when Gateway:Lpwa:Port is set.",
            ],
            new LpwaOptionsValidator().Validate(null, options).Failures);
    }

    [Fact]
    public async Task Gateway_refuses_to_start_with_a_bad_lpwa_setting()
    {
        await using var gateway = new GatewayProcess();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync(
            "--lpwa-port", GatewayProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--Gateway:Lpwa:Integrations:0:Name", "x",
            "--Gateway:Lpwa:Integrations:0:Type", "loriot",
            "--Gateway:Lpwa:Integrations:0:Secret", "0123456789abcdef"));
        Assert.Equal("gateway exited with 2", e.Message);
    }

    [Fact]
    public async Task Gateway_refuses_an_lpwa_port_that_is_the_admin_port()
    {
        await using var gateway = new GatewayProcess();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync(
            "--lpwa-port", gateway.Port.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal("gateway exited with 2", e.Message);
    }
}
