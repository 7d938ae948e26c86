using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// What a first start with an empty registry creates, so that a newcomer sees the gateway work without writing a
/// registry: one group with Harvest, the metadata service (read-only) and the binary parser <c>@json</c> on, and one subscriber bound to 127.0.0.1, so
/// that anything sent from the same machine is a known device. Made once (a marker file in the data directory
/// remembers it); <c>--no-demo</c> (<c>Gateway:Registry:Demo=false</c>) turns it off.
/// </summary>
internal static class DemoRegistry
{
    public const string GroupId = "demo";
    public const string Imsi = "001010000000001";
    public const string Address = "127.0.0.1";
    public const string MarkerFile = "demo-created";

    public static IReadOnlyList<RegistryChange> Changes() =>
    [
        new(RegistryElementKind.Group, GroupId, new JsonObject
        {
            ["groupId"] = GroupId,
            ["tags"] = new JsonObject { ["name"] = "demo (created at first start; delete it when you have your own)" },
            ["configuration"] = new JsonObject
            {
                ["SoracomAir"] = new JsonObject
                {
                    ["binaryParserEnabled"] = true,
                    ["binaryParserFormat"] = "@json",
                    ["metadata"] = new JsonObject { ["enabled"] = true, ["readonly"] = true },
                },
                ["SoracomHarvest"] = new JsonObject { ["enabled"] = true },
            },
        }),
        new(RegistryElementKind.Subscriber, Imsi, new JsonObject
        {
            ["imsi"] = Imsi,
            ["groupId"] = GroupId,
            ["ipAddress"] = Address,
            ["tags"] = new JsonObject { ["name"] = "demo device (this machine)" },
        }),
    ];

    /// <summary>The lines a newcomer copies: send from this machine three ways, then read the data back.</summary>
    public static string TryIt(int unifiedPort, int deviceHttpPort, int mqttPort, int adminPort) => string.Join(Environment.NewLine,
        $"  echo '{{\"temp\":21.5}}' | socat - UDP:127.0.0.1:{unifiedPort}",
        $"  curl -H 'Host: harvest.soracom.io' -H 'Content-Type: application/json' -d '{{\"temp\":22.0}}' http://127.0.0.1:{deviceHttpPort}/",
        $"  mosquitto_pub -p {mqttPort} -i demo -t demo -m '{{\"temp\":22.5}}'",
        $"  then open the console, http://127.0.0.1:{adminPort}/console/ (sign in with the root key in the data directory, root-auth-key.json), and the demo subscriber's chart");
}
