using Gateway.Devices;

namespace Gateway.Tests.Devices;

/// <summary>The device-service ports are checked at start: range, and no clash with any other listener.</summary>
public sealed class DeviceEndpointOptionsTests
{
    private static readonly int[] s_beamPorts = [8888, 18080, 23080, 8023, 1883, 0];

    [Fact]
    public void The_defaults_are_8080_and_1884_and_valid()
    {
        var options = new DeviceEndpointOptions();

        Assert.Equal(8080, options.HttpPort);
        Assert.Equal(1884, options.MqttPort);
        Assert.Empty(options.Validate(9080, s_beamPorts, 0));
    }

    [Theory]
    [InlineData(-1, 1884, "Gateway:Devices:HttpPort must be between 0 (off) and 65535 (was -1).")]
    [InlineData(8080, 70000, "Gateway:Devices:MqttPort must be between 0 (off) and 65535 (was 70000).")]
    [InlineData(9080, 1884, "Gateway:Devices:HttpPort 9080 is also Gateway:AdminPort.")]
    [InlineData(8080, 1883, "Gateway:Devices:MqttPort 1883 is also a Gateway:Beam device port.")]
    [InlineData(8888, 1884, "Gateway:Devices:HttpPort 8888 is also a Gateway:Beam device port.")]
    [InlineData(8080, 7000, "Gateway:Devices:MqttPort 7000 is also Gateway:Lpwa:Port.")]
    [InlineData(8081, 8081, "Gateway:Devices:HttpPort and Gateway:Devices:MqttPort must differ (both 8081).")]
    public void A_bad_port_is_named(int http, int mqtt, string error)
    {
        var options = new DeviceEndpointOptions { HttpPort = http, MqttPort = mqtt };

        Assert.Equal([error], options.Validate(9080, s_beamPorts, 7000));
    }

    [Fact]
    public void Zero_turns_a_listener_off_and_clashes_with_nothing()
    {
        var options = new DeviceEndpointOptions { HttpPort = 0, MqttPort = 0 };

        Assert.Empty(options.Validate(9080, s_beamPorts, 0));
        Assert.False(options.MqttServerNeeded);
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_with_a_clashing_device_port_and_exits_2()
    {
        var (exit, _, error) = await CliRunner.RunProcessAsync("", "--device-http-port", "8888", "--mqtt-pipeline-port", "70000", "--data-dir", Directory.CreateTempSubdirectory("gw-dev-").FullName);

        Assert.Equal(2, exit);
        Assert.Contains("Gateway:Devices:HttpPort 8888 is also a Gateway:Beam device port.", error, StringComparison.Ordinal);
        Assert.Contains("Gateway:Devices:MqttPort must be between 0 (off) and 65535 (was 70000).", error, StringComparison.Ordinal);
    }
}
