using Gateway.Devices;
using MQTTnet.Protocol;

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
    [InlineData(400, MqttPubAckReasonCode.PayloadFormatInvalid)]
    [InlineData(415, MqttPubAckReasonCode.PayloadFormatInvalid)]
    [InlineData(413, MqttPubAckReasonCode.QuotaExceeded)]
    [InlineData(429, MqttPubAckReasonCode.QuotaExceeded)]
    [InlineData(503, MqttPubAckReasonCode.QuotaExceeded)]
    [InlineData(403, MqttPubAckReasonCode.NotAuthorized)]
    [InlineData(502, MqttPubAckReasonCode.UnspecifiedError)]
    [InlineData(504, MqttPubAckReasonCode.UnspecifiedError)]
    [InlineData(500, MqttPubAckReasonCode.UnspecifiedError)]
    public void A_service_failure_status_maps_to_an_MQTT_5_reason_code(int status, MqttPubAckReasonCode code) =>
        Assert.Equal(code, MqttPipelineEndpoint.ReasonCodeFor(status));
}
