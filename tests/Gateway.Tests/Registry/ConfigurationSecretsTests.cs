using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class ConfigurationSecretsTests
{
    private const string Configuration = """
        {
          "SoracomBeam": {
            "http://beam.soracom.io:8888/": {
              "destination": "https://example.com/", "psk": "p-secret", "authorization": "Bearer a-secret",
              "messageSignature": { "keyId": "k1", "key": "m-secret" },
              "useClientCert": true, "clientCerts": { "default": { "cert": "PEM", "key": "c-secret" } }
            },
            "mqtt://beam.soracom.io:1883": { "destination": "mqtt://broker:1883", "username": "u", "password": "w-secret" },
            "tcp://beam.soracom.io:8023": { "destination": "tcp://h:1", "psk": { "$credentialsId": "beam-psk" } }
          },
          "SoracomFunnel": { "destination": { "provider": "x", "service": "y", "resourceUrl": "https://r", "key": "f-secret" } },
          "SoracomAir": { "userdata": "not a secret" }
        }
        """;

    [Fact]
    public void Every_inline_secret_is_masked_and_nothing_else()
    {
        var original = JsonNode.Parse(Configuration)!.AsObject();
        var masked = ConfigurationSecrets.Masked(original);

        Assert.DoesNotContain("-secret", masked.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(ConfigurationSecrets.Mask, (string?)masked["SoracomBeam"]!["http://beam.soracom.io:8888/"]!["clientCerts"]!["default"]!["key"]);
        Assert.Equal(ConfigurationSecrets.Mask, (string?)masked["SoracomFunnel"]!["destination"]!["key"]);
        Assert.Equal("beam-psk", (string?)masked["SoracomBeam"]!["tcp://beam.soracom.io:8023"]!["psk"]!["$credentialsId"]);
        Assert.Equal("u", (string?)masked["SoracomBeam"]!["mqtt://beam.soracom.io:1883"]!["username"]);
        Assert.Equal("not a secret", (string?)masked["SoracomAir"]!["userdata"]);

        // The stored configuration itself is untouched.
        Assert.Equal("p-secret", (string?)original["SoracomBeam"]!["http://beam.soracom.io:8888/"]!["psk"]);
    }

    [Fact]
    public void Restore_puts_back_only_masks_that_stand_where_a_secret_is_stored()
    {
        var stored = JsonNode.Parse(Configuration)!.AsObject();
        var incoming = ConfigurationSecrets.Masked(stored)["SoracomBeam"]!.DeepClone().AsObject();
        incoming["http://beam.soracom.io:8888/"]!["authorization"] = "Bearer new";
        incoming["http://beam.soracom.io:8888/other"] = new JsonObject { ["psk"] = ConfigurationSecrets.Mask };

        ConfigurationSecrets.Restore("SoracomBeam", incoming, stored["SoracomBeam"]!.AsObject());

        var http = incoming["http://beam.soracom.io:8888/"]!;
        Assert.Equal("p-secret", (string?)http["psk"]);
        Assert.Equal("Bearer new", (string?)http["authorization"]);
        Assert.Equal("m-secret", (string?)http["messageSignature"]!["key"]);
        Assert.Equal("c-secret", (string?)http["clientCerts"]!["default"]!["key"]);
        Assert.Equal("w-secret", (string?)incoming["mqtt://beam.soracom.io:1883"]!["password"]);
        Assert.Equal(ConfigurationSecrets.Mask, (string?)incoming["http://beam.soracom.io:8888/other"]!["psk"]);
    }
}
