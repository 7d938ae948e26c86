using Gateway.Devices;
using Gateway.Devices.Mqtt;

namespace Gateway.Tests.Devices;

/// <summary>The Host table of the HTTP device listener, and the MQTT 5 reason code for each service failure.</summary>
public sealed class DeviceHostRouteTests
{
    [Theory]
    [InlineData("funnel.soracom.io", "funnel-http", "funnel")]
    [InlineData("FUNNEL.example.org", "funnel-http", "funnel")]
    [InlineData("funnel", "funnel-http", "funnel")]
    [InlineData("uni.soracom.io", "unified-http", null)]
    [InlineData("unified.soracom.io", "unified-http", null)]
    [InlineData("beam.soracom.io", "unified-http", null)]
    [InlineData("metadata.soracom.io", "metadata-http", "metadata")]
    [InlineData("endorse.soracom.io", "endorse-http", "endorse")]
    [InlineData("funnelx.soracom.io", "unified-http", null)]
    [InlineData("10.0.0.1", "unified-http", null)]
    [InlineData("", "unified-http", null)]
    [InlineData(null, "unified-http", null)]
    public void The_first_label_of_the_host_picks_the_route(string? host, string entryPoint, string? onlyService)
    {
        var route = DeviceHostRoute.Match(host);

        Assert.Equal(entryPoint, route.EntryPoint);
        Assert.Equal(onlyService, route.OnlyService);
    }

    [Theory]
    [InlineData(400, 0x99)] // payload format invalid
    [InlineData(415, 0x99)]
    [InlineData(413, 0x97)] // quota exceeded
    [InlineData(429, 0x97)]
    [InlineData(503, 0x97)]
    [InlineData(403, 0x87)] // not authorized
    [InlineData(502, 0x80)] // unspecified error
    [InlineData(504, 0x80)]
    [InlineData(500, 0x80)]
    public void A_service_failure_status_maps_to_an_MQTT_5_reason_code(int status, byte code) =>
        Assert.Equal(code, MqttPipelineEndpoint.ReasonCodeFor(status));
}
