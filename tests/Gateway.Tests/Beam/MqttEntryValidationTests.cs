using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Beam;

/// <summary>The registry's checks on an MQTT entry's credentials, each reported with its path.</summary>
public sealed class MqttEntryValidationTests
{
    private static List<string> Errors(string entry)
    {
        var json = $$"""
            { "groups": [ { "groupId": "g", "configuration": { "SoracomBeam": {
                "mqtt://beam.soracom.io:1883": { "destination": "mqtts://broker.example.com:8883", {{entry}} } } } } ] }
            """;
        var errors = new List<string>();
        RegistryParser.Parse(JsonNode.Parse(json), errors);
        return errors;
    }

    private const string Path = "groups[g].configuration.SoracomBeam[\"mqtt://beam.soracom.io:1883\"]";

    [Theory]
    [InlineData("\"username\": \"gw\", \"password\": \"s\"")]
    [InlineData("\"useClientCredentials\": true")]
    [InlineData("\"username\": \"gw\", \"useClientCredentials\": false")]
    public void Either_credentials_are_accepted(string entry)
    {
        Assert.Empty(Errors(entry));
    }

    [Theory]
    [InlineData("\"username\": \"gw\", \"password\": \"s\", \"useClientCredentials\": true", ".useClientCredentials: cannot be true together with username/password (choose the device's credentials or the entry's)")]
    [InlineData("\"password\": \"s\"", ".password: needs a username (MQTT 3.1.1 sends no password without one)")]
    [InlineData("\"username\": 7", ".username: must be a string")]
    [InlineData("\"useClientCredentials\": \"yes\"", ".useClientCredentials: must be true or false")]
    public void Bad_credentials_are_reported_with_their_path(string entry, string error)
    {
        Assert.Contains(Path + error, Errors(entry));
    }

    [Fact]
    public void Mqtt_port_is_validated_like_the_other_device_ports()
    {
        Assert.Empty(new global::Gateway.Beam.BeamOptions { MqttPort = 0 }.Validate());
        Assert.Contains("Gateway:Beam:MqttPort must be between 0 (off) and 65535 (was 70000).", new global::Gateway.Beam.BeamOptions { MqttPort = 70000 }.Validate());
        Assert.Contains("Gateway:Beam: HttpPort, WebsitePort, UnifiedPort, TcpPort, MqttPort, HttpsPort and HarvestPort must differ.", new global::Gateway.Beam.BeamOptions { MqttPort = 8023 }.Validate());
    }

    [Fact]
    public void Device_timeouts_must_be_positive()
    {
        Assert.Empty(new global::Gateway.Beam.BeamOptions { RequestHeadersTimeoutSeconds = 1, TcpIdleSeconds = 1, WebSocketIdleSeconds = 1 }.Validate());
        Assert.Contains("Gateway:Beam:RequestHeadersTimeoutSeconds must be positive (was 0).", new global::Gateway.Beam.BeamOptions { RequestHeadersTimeoutSeconds = 0 }.Validate());
        Assert.Contains("Gateway:Beam:TcpIdleSeconds must be positive (was -5).", new global::Gateway.Beam.BeamOptions { TcpIdleSeconds = -5 }.Validate());
        Assert.Contains("Gateway:Beam:WebSocketIdleSeconds must be positive (was 0).", new global::Gateway.Beam.BeamOptions { WebSocketIdleSeconds = 0 }.Validate());
    }
}
