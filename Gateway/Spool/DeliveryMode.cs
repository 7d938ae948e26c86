using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Spool;

/// <summary>
/// The gateway's own group key <c>delivery</c> in <c>SoracomFunnel</c> and <c>SoracomHarvest</c> (SORACOM has no such
/// key): <c>sync</c> (absent: the device's reply is the destination's, as SORACOM does it) or <c>queued</c> (the device
/// is acknowledged once the message is in the local spool; delivery goes on in the background).
/// </summary>
internal static class DeliveryMode
{
    public const string Key = "delivery";
    public const string Sync = "sync";
    public const string Queued = "queued";

    public static void Validate(JsonObject map, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(errors);
        if (map[Key] is not { } node)
        {
            return;
        }

        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() is not (Sync or Queued))
        {
            errors.Add($"{path}.{Key}: must be \"{Sync}\" or \"{Queued}\" (was {node.ToJsonString()})");
        }
    }

    public static bool IsQueued(JsonObject map) => map[Key] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == Queued;
}
