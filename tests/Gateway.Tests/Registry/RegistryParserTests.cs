using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class RegistryParserTests
{
    // The group as spec/platform.md §4.4 shows GET /v1/groups/{id} returning it, plus a binary parser and a UDP entry.
    internal const string SoracomGroupJson = """
        {
          "groupId": "12345678-abcd-9012-efab-345678901234",
          "operatorId": "OP0012345678",
          "tags": { "name": "gateway-fleet" },
          "createdTime": 1698796800000,
          "lastModifiedTime": 1698796800000,
          "configuration": {
            "SoracomAir": {
              "metadata": { "enabled": true, "readonly": false, "allowOrigin": "" },
              "userdata": "{\"fw\":\"1.4.2\"}",
              "binaryParserEnabled": true,
              "binaryParserFormat": "@soracom.button"
            },
            "SoracomBeam": {
              "http://beam.soracom.io:8888/": {
                "name": "to-backend",
                "enabled": true,
                "destination": "https://myserver.example.com/ingest",
                "addSubscriberHeader": true,
                "addSimIdHeader": true,
                "addMsisdnHeader": false,
                "addEquipmentHeader": true,
                "addSignature": true,
                "psk": "topsecret",
                "customHeaders": {
                  "X-Group-Name": { "action": "replace", "headerKey": "X-Group-Name", "headerValue": "fleet" }
                }
              },
              "mqtt://beam.soracom.io:1883": {
                "name": "AWS IoT",
                "enabled": true,
                "destination": "mqtts://xxxxxxxx-ats.iot.ap-northeast-1.amazonaws.com:8883",
                "addSubscriberHeader": false,
                "useClientCert": true,
                "clientCerts": { "default": { "$credentialsId": "aws-iot-#{imsi}" } }
              },
              "udp://beam.soracom.io:23080": {
                "name": "UDPToHTTP",
                "enabled": true,
                "destination": "https://drop-me-a-click.com/button.cgi",
                "addSimIdHeader": true,
                "customHeaders": {
                  "X-SORACOM-KEYS": { "action": "append", "headerKey": "X-SORACOM-KEYS", "headerValue": "id,secret" }
                }
              },
              "tcp://beam.soracom.io:8023": {
                "name": "TCP Config Name 1", "destination": "tcps://tcp.example.com:1234",
                "enabled": true, "addSubscriberHeader": true, "addSignature": true, "psk": { "$credentialsId": "beam-psk" }
              }
            },
            "SoracomFunnel": {
              "enabled": true,
              "destination": {
                "provider": "aws",
                "service": "kinesis",
                "resourceUrl": "https://kinesis.ap-northeast-1.amazonaws.com/my-stream",
                "randomizePartitionKey": false,
                "payloadsOnly": false
              },
              "credentialsId": "my-aws",
              "contentType": "json",
              "addSimId": true
            }
          }
        }
        """;

    internal static string Seed(string group = SoracomGroupJson, string subscribers = "", string credentials = "") => $$"""
        {
          "credentials": [
            { "credentialsId": "my-aws", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "s3cr3t" } },
            { "credentialsId": "beam-psk", "type": "psk", "credentials": { "key": "topsecret" } }
            {{credentials}}
          ],
          "groups": [ {{group}} ],
          "subscribers": [
            { "imsi": "440101234567890", "imei": "353000000000001", "msisdn": "819012345678", "simId": "8981100024620429680",
              "groupId": "12345678-abcd-9012-efab-345678901234", "tags": { "name": "sensor-1" }, "ipAddress": "127.0.0.11",
              "speedClass": "s1.standard", "sessionStatus": { "online": true } }
            {{subscribers}}
          ]
        }
        """;

    private static (RegistryDocument? Doc, List<string> Errors) Parse(string json)
    {
        var errors = new List<string>();
        var doc = RegistryParser.Parse(JsonNode.Parse(json), errors);
        return (doc, errors);
    }

    [Fact]
    public void Soracom_group_json_with_beam_funnel_and_binary_parser_loads_unchanged()
    {
        var (doc, errors) = Parse(Seed());

        Assert.Empty(errors);
        var group = Assert.Single(doc!.Groups);
        Assert.Equal("gateway-fleet", group.Tags["name"]);
        var original = JsonNode.Parse(SoracomGroupJson)!["configuration"]!;
        Assert.True(JsonNode.DeepEquals(original, group.Configuration), group.Configuration.ToJsonString());
        var subscriber = Assert.Single(doc.Subscribers);
        Assert.Equal("127.0.0.11", subscriber.IpAddress);
        Assert.Equal("active", subscriber.Status);
    }

    // A required ID written as null was taken as present: a credential set with a null ID then threw
    // ArgumentNullException out of Parse (a stack trace at start, a 500 from the admin API); found by tests/tools/RandomInput.
    [Theory]
    [InlineData("""{ "credentials": [ { "credentialsId": null, "type": "psk", "credentials": { "key": "k" } } ] }""", "credentials[0].credentialsId: required")]
    [InlineData("""{ "groups": [ { "groupId": null } ] }""", "groups[0].groupId: required")]
    [InlineData("""{ "subscribers": [ { "imsi": null, "ipAddress": "127.0.0.9" } ] }""", "subscribers[0].imsi: required")]
    public void A_required_id_given_as_null_is_reported_as_required(string json, string error)
    {
        var (doc, errors) = Parse(json);

        Assert.Null(doc);
        Assert.Contains(error, errors);
    }

    [Fact]
    public void Write_form_key_value_lists_load_as_the_map_form()
    {
        const string group = """
            { "groupId": "g1", "configuration": {
                "SoracomBeam": [ { "key": "tcp://beam.soracom.io:8023", "value": { "destination": "tcp://127.0.0.1:9000", "enabled": true } } ],
                "SoracomFunnel": [ { "key": "enabled", "value": true }, { "key": "contentType", "value": "json" } ] } }
            """;
        var (doc, errors) = Parse(Seed(group: group).Replace("12345678-abcd-9012-efab-345678901234", "g1", StringComparison.Ordinal));

        Assert.Empty(errors);
        var config = doc!.Groups[0].Configuration;
        Assert.Equal("tcp://127.0.0.1:9000", (string?)config["SoracomBeam"]!["tcp://beam.soracom.io:8023"]!["destination"]);
        Assert.True((bool)config["SoracomFunnel"]!["enabled"]!);
    }

    public static TheoryData<string, string> BadGroups => new()
    {
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "tcp://beam.soracom.io:8023": { "destination": "https://x.example" } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].destination: not a tcp:// or tcps:// URL"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "http://beam.soracom.io:8888/in": { "destination": "tcp://x.example:1" } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"http://beam.soracom.io:8888/in\"].destination: not a http:// or https:// URL"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "http://beam.soracom.io:9999/": { "destination": "https://x.example" } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"http://beam.soracom.io:9999/\"]: not a Beam entry point: use http://…:8888/<path>, http://…:18080, tcp://…:23080, udp://…:23080, tcp://…:8023, mqtt://…:1883, lorawan://… or sigfox://…"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "tcp://beam.soracom.io:8023": { "destination": "tcp://x.example:1", "addSignature": true } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].psk: required when addSignature is true"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "tcp://beam.soracom.io:8023": { "destination": "tcp://x.example:1", "enabled": "yes" } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].enabled: must be true or false"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "tcp://beam.soracom.io:8023": { "destination": "tcp://x.example:1", "psk": { "$credentialsId": "nope" } } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].psk.$credentialsId: no credential set 'nope'"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "tcp://beam.soracom.io:8023": { "destination": "tcp://x.example:1", "psk": { "$credentialsId": "my-aws" } } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"tcp://beam.soracom.io:8023\"].psk.$credentialsId: credential set 'my-aws' is of type aws-credentials, expected psk"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "http://beam.soracom.io:8888/": { "destination": "https://x.example", "customHeaders": { "X-A": { "action": "upsert", "headerValue": "1" } } } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"http://beam.soracom.io:8888/\"].customHeaders.X-A.action: 'upsert' is not one of append, replace, delete"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": { "http://beam.soracom.io:8888/": { "destination": "https://x.example", "customHeaders": { "X-A": { "action": "replace", "headerValue": "a\r\nInjected: 1" } } } } } }""",
            "groups[g-sensors].configuration.SoracomBeam[\"http://beam.soracom.io:8888/\"].customHeaders.X-A.headerValue: may not contain control characters (CR, LF, NUL, …)"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomAir": { "binaryParserEnabled": true } } }""",
            "groups[g-sensors].configuration.SoracomAir.binaryParserFormat: required when binaryParserEnabled is true"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeem": {} } }""",
            "groups[g-sensors].configuration.SoracomBeem: unknown namespace; known: SoracomAir, SoracomBeam, SoracomEndorse, SoracomFlux, SoracomFunk, SoracomFunnel, SoracomHarvest, SoracomHarvestFiles, SoracomKrypton, SoracomOrbit, UnifiedEndpoint, GatewayIdentity"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomFunnel": { "contentType": "xml", "credentialsId": "missing" } } }""",
            "groups[g-sensors].configuration.SoracomFunnel.contentType: 'xml' is not one of json, text, binary, unspecified, application/x-soracom-bf-v1"
        },
        {
            """{ "groupId": "g-sensors", "configuration": { "SoracomBeam": [ { "key": "tcp://beam.soracom.io:8023" } ] } }""",
            "groups[g-sensors].configuration.SoracomBeam[0]: must be {\"key\": \"…\", \"value\": …}"
        },
        {
            """{ "configuration": {} }""",
            "groups[0].groupId: required"
        },
        {
            """{ "groupId": "g-vpn", "configuration": { "GatewayIdentity": { "ipRanges": ["10.8.0.0/24", "10.9.0.0/40"] } } }""",
            "groups[g-vpn].configuration.GatewayIdentity.ipRanges[1]: '10.9.0.0/40' is not a CIDR range such as 10.8.0.0/24"
        },
        {
            """{ "groupId": "g-vpn", "configuration": { "GatewayIdentity": { "ipRanges": "10.8.0.0/24" } } }""",
            "groups[g-vpn].configuration.GatewayIdentity.ipRanges: must be an array of strings"
        },
        {
            """{ "groupId": "g-vpn", "configuration": { "GatewayIdentity": { "ipRange": ["10.8.0.0/24"] } } }""",
            "groups[g-vpn].configuration.GatewayIdentity.ipRange: unknown key; known: ipRanges"
        },
        {
            """{ "groupId": "g-vpn", "configuration": { "GatewayIdentity": { "ipRanges": ["10.8.0.0/24"] } } }, { "groupId": "g-lan", "configuration": { "GatewayIdentity": [ { "key": "ipRanges", "value": ["10.8.0.0/24"] } ] } }""",
            "groups[g-lan].configuration.GatewayIdentity.ipRanges: '10.8.0.0/24' already belongs to group g-vpn"
        },
    };

    [Theory]
    [MemberData(nameof(BadGroups))]
    public void Each_configuration_error_is_reported_with_its_path(string group, string error)
    {
        var (doc, errors) = Parse(Seed(group: group, subscribers: "").Replace("\"groupId\": \"12345678-abcd-9012-efab-345678901234\",", string.Empty, StringComparison.Ordinal));
        Assert.Null(doc);
        Assert.Contains(error, errors);
    }

    public static TheoryData<string, string> BadSubscribers => new()
    {
        { """, { "imsi": "44010" }""", "subscribers[44010].imsi: 6 to 15 digits" },
        { """, { "imsi": "440101234567891", "groupId": "nope" }""", "subscribers[440101234567891].groupId: no group 'nope'" },
        { """, { "imsi": "440101234567891", "ipAddress": "127.0.0.11" }""", "subscribers[440101234567891].ipAddress: '127.0.0.11' already identifies subscriber 440101234567890" },
        { """, { "imsi": "440101234567891", "ipAddress": "300.1.1.1" }""", "subscribers[440101234567891].ipAddress: '300.1.1.1' is not an IP address" },
        { """, { "imsi": "440101234567891", "ipRanges": ["10.0.0.0/33"] }""", "subscribers[440101234567891].ipRanges[0]: '10.0.0.0/33' is not a CIDR range such as 10.1.2.0/24" },
        { """, { "imsi": "440101234567891", "imeiLock": { "imei": "35300000000000X" } }""", "subscribers[440101234567891].imeiLock.imei: an IMEI, optionally followed by |ANONYMOUS" },
        { """, { "imsi": "440101234567891", "status": "dead" }""", "subscribers[440101234567891].status: 'dead' is not one of active, inactive, ready, standby, suspended, terminated" },
        { """, { "imsi": "440101234567890" }""", "subscribers[440101234567890]: duplicate; another element has the same ID" },
        { """, { "imsi": "440101234567891", "loraDeviceId": "xyz" }""", "subscribers[440101234567891].loraDeviceId: a DevEUI is 16 hex digits" },
        { """, { "imsi": "440101234567891", "certificateThumbprints": ["abcd"] }""", "subscribers[440101234567891].certificateThumbprints[0]: a SHA-256 thumbprint is 64 hex digits" },
    };

    [Theory]
    [MemberData(nameof(BadSubscribers))]
    public void Each_subscriber_error_is_reported_with_its_path(string subscriber, string error)
    {
        var (doc, errors) = Parse(Seed(subscribers: subscriber));
        Assert.Null(doc);
        Assert.Contains(error, errors);
    }

    [Fact]
    public void Broken_binary_parser_format_is_a_configuration_error_with_its_position()
    {
        var group = """{ "groupId": "g-sensors", "configuration": { "SoracomAir": { "binaryParserEnabled": true, "binaryParserFormat": "temp:0:int:16 hum:1:bogus:8" } } }""";
        var (doc, errors) = Parse(Seed(group: group).Replace("\"groupId\": \"12345678-abcd-9012-efab-345678901234\",", string.Empty, StringComparison.Ordinal));
        Assert.Null(doc);
        var error = Assert.Single(errors, e => e.StartsWith("groups[g-sensors].configuration.SoracomAir.binaryParserFormat: ", StringComparison.Ordinal));
        Assert.Contains("field 2", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Credential_errors_name_the_field_and_never_the_secret()
    {
        var (_, errors) = Parse(Seed(credentials: """, { "credentialsId": "half", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAHALF" } }, { "credentialsId": "odd", "type": "ftp", "credentials": {} }"""));
        Assert.Contains("credentials[half].credentials.secretAccessKey: required for type aws-credentials", errors);
        Assert.Contains("credentials[odd].type: unknown credential type 'ftp'", errors);
        Assert.DoesNotContain(errors, e => e.Contains("AKIAHALF", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_error_is_listed_not_just_the_first()
    {
        var (_, errors) = Parse(Seed(subscribers: """, { "imsi": "1" }, { "imsi": "440101234567892", "status": "x", "imei": "1" }"""));
        Assert.True(errors.Count >= 3, string.Join("\n", errors));
    }

    [Fact]
    public void Numeric_identifiers_are_taken_as_their_digits()
    {
        var (doc, errors) = Parse(Seed(subscribers: """, { "imsi": 440101234567891, "imei": 353000000000002 }"""));
        Assert.Empty(errors);
        Assert.Equal("353000000000002", doc!.Subscribers[1].Imei);
    }

    [Theory]
    [InlineData("http://beam.soracom.io:8888/path/", "Http", "/path/")]
    [InlineData("http://beam.soracom.io:8888/", "Http", "/")]
    [InlineData("http://beam.soracom.io:18080", "Website", "/")]
    [InlineData("http://beam.soracom.io", "Website", "/")]
    [InlineData("tcp://beam.soracom.io:23080", "TcpToHttp", "/")]
    [InlineData("udp://beam.soracom.io:23080", "UdpToHttp", "/")]
    [InlineData("tcp://beam.soracom.io:8023", "TcpToTcp", "/")]
    [InlineData("mqtt://beam.soracom.io:1883", "Mqtt", "/")]
    [InlineData("tcp://anything.example:8023", "TcpToTcp", "/")]
    [InlineData("lorawan://beam.soracom.io", "LoraToHttp", "/")]
    [InlineData("sigfox://beam.soracom.io", "SigfoxToHttp", "/")]
    public void Beam_keys_select_the_entry_point_by_scheme_port_and_path(string key, string kind, string path)
    {
        Assert.True(BeamEntryPointKey.TryParse(key, out var ep, out var error), error);
        Assert.Equal(kind, ep.Kind.ToString());
        Assert.Equal(path, ep.Path);
    }

    [Theory]
    [InlineData("tcp://beam.soracom.io:8023/x")]
    [InlineData("http://beam.soracom.io:8888/?q=1")]
    [InlineData("ftp://beam.soracom.io:21")]
    [InlineData("not a url")]
    public void Bad_beam_keys_are_refused(string key)
    {
        Assert.False(BeamEntryPointKey.TryParse(key, out _, out var error));
        Assert.NotEmpty(error);
    }
}
