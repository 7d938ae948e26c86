namespace Gateway.RandomInput.Targets;

/// <summary>Registry documents in SORACOM's shapes, as a seed file or an admin request body carries them.</summary>
internal static class RegistrySamples
{
    public const string SeedJson = """
        {
          "credentials": [
            { "credentialsId": "my-aws", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "s3cr3t" } },
            { "credentialsId": "beam-psk", "type": "psk", "credentials": { "key": "topsecret" } }
          ],
          "groups": [
            {
              "groupId": "g-sensors", "tags": { "name": "fleet" }, "createdTime": 1698796800000,
              "configuration": {
                "SoracomAir": { "metadata": { "enabled": true, "readonly": false }, "userdata": "{\"fw\":1}", "binaryParserEnabled": true, "binaryParserFormat": "t:0:int:16:/10" },
                "SoracomBeam": {
                  "http://beam.soracom.io:8888/": { "name": "web", "enabled": true, "destination": "https://example.com/in", "addSubscriberHeader": true, "addSignature": true, "psk": { "$credentialsId": "beam-psk" },
                    "customHeaders": { "X-A": { "action": "replace", "headerKey": "X-A", "headerValue": "1" } } },
                  "mqtt://beam.soracom.io:1883": { "enabled": true, "destination": "mqtts://broker.example.com:8883", "addSubscriberHeader": true, "username": "u", "password": "p" },
                  "tcp://beam.soracom.io:8023": { "enabled": true, "destination": "tcps://tcp.example.com:1234", "addSignature": true, "psk": "inline", "binaryFormatV1Enabled": true },
                  "udp://beam.soracom.io:23080": { "enabled": true, "destination": "http://127.0.0.1:9000/u", "skipStatusCode": true }
                },
                "SoracomFunnel": { "enabled": true, "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "https://kinesis.ap-northeast-1.amazonaws.com/s" }, "credentialsId": "my-aws", "contentType": "json" },
                "SoracomHarvest": { "enabled": true },
                "GatewayIdentity": { "ipRanges": ["10.1.0.0/16", "fd00::/64"] },
                "UnifiedEndpoint": [ { "key": "responseFormat", "value": "soracom" } ]
              }
            }
          ],
          "subscribers": [
            { "imsi": "440101234567890", "imei": "353000000000001", "msisdn": "819012345678", "simId": "8981100024620429680",
              "groupId": "g-sensors", "tags": { "name": "s-1" }, "ipAddress": "127.0.0.11", "status": "active", "imeiLock": { "imei": "353000000000001" } },
            { "imsi": "440101234567891", "ipAddress": "10.2.0.0/24", "groupId": "g-sensors" }
          ]
        }
        """;

    public const string SeedYaml = """
        # A YAML seed: the same tree, anchors for shared entries.
        credentials:
          - credentialsId: beam-psk
            type: psk
            credentials: { key: topsecret }
        groups:
          - groupId: g-sensors
            tags: &tags { name: fleet }
            configuration:
              SoracomBeam:
                "http://beam.soracom.io:8888/": &entry
                  enabled: true
                  destination: https://example.com/in
                  addSubscriberHeader: yes
                  psk: { $credentialsId: beam-psk }
                "http://beam.soracom.io:18080/": *entry
              SoracomAir:
                userdata: |
                  line one
                  line two
                binaryParserFormat: '@button'
          - groupId: 012
            tags: *tags
        subscribers:
          - imsi: 440101234567890
            groupId: g-sensors
            ipAddress: 127.0.0.11
            tags: { n: 1.5e3, b: ~, t: !!str true }
          - { imsi: '440101234567891', groupId: g-sensors, ipAddress: "10.2.0.0/24" }
        """;

    /// <summary>Bodies of <c>PUT /v1/groups/{id}/configuration/{namespace}</c>, keyed by namespace.</summary>
    public const string ConfigurationBody = """
        { "SoracomBeam": [ { "key": "tcp://beam.soracom.io:8023", "value": { "destination": "tcp://127.0.0.1:9000", "enabled": true, "authorization": "Bearer x" } } ],
          "SoracomFunnel": [ { "key": "enabled", "value": true }, { "key": "contentType", "value": "json" } ] }
        """;

    public static byte[][] JsonTokens { get; } = AsciiBytes.Of(
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "\\u0000", "\\ud800", "\\\"", "/*c*/", "//c\n", "1e999",
        "-0", "\"$credentialsId\"", "\"groupId\"", "\"imsi\"", "\"ipAddress\"", "\"destination\"", "\"SoracomBeam\"",
        "\"configuration\"", "\"http://beam.soracom.io:8888/\"", "\"customHeaders\"", "\r\n", "\u00e9", "\u3042", "\uffff",
        "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":", "\"127.0.0.1\"", "\"::1/0\"", "\"0.0.0.0/33\"");

    public static byte[][] YamlTokens { get; } = AsciiBytes.Of(
        "&a ", "*a", "&b [*a, *a, *a]", "<<: *a", "!!str ", "!!binary ", "!custom ", "? ", "- ", ": ", "{", "}", "[", "]",
        "'", "\"", "|", ">", "|-", "#", "\n", "\n  ", "\t", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "~",
        "0x1F", "0o17", ".inf", "-.inf", ".nan", "1_000", "\\u0000", "\u00e9", "\ufeff");
}
