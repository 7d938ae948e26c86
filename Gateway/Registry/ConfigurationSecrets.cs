using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// The secrets a group's configuration may hold inline (a Beam entry's <c>psk</c>, <c>authorization</c>, MQTT
/// <c>password</c>, <c>messageSignature.key</c>, an inline client certificate's <c>key</c>; a Funnel destination's
/// <c>key</c>). The admin API never returns them: each inline string is replaced by <see cref="Mask"/>, as SORACOM
/// never returns a secret. A write that sends the mask back (GET, edit, PUT) keeps the stored secret, so a round trip
/// cannot overwrite a secret with its mask. A <c>{"$credentialsId": …}</c> reference is not a secret and is shown.
/// </summary>
internal static class ConfigurationSecrets
{
    /// <summary>What the API shows instead of a secret; as a secret's value on a write it means "keep the stored one".</summary>
    public const string Mask = "********";

    // Paths below a namespace's map; "*" matches every key (a Beam entry, a client certificate's name).
    private static readonly string[][] s_beam =
    [
        ["*", "psk"], ["*", "authorization"], ["*", "password"], ["*", "messageSignature", "key"], ["*", "clientCerts", "*", "key"],
    ];

    private static readonly string[][] s_funnel = [["destination", "key"]];

    /// <summary>A copy of a group's configuration with every inline secret masked.</summary>
    public static JsonObject Masked(JsonObject configuration)
    {
        var copy = (JsonObject)configuration.DeepClone();
        foreach (var (ns, map) in copy)
        {
            if (map is JsonObject namespaceMap)
            {
                foreach (var path in PathsOf(ns))
                {
                    Visit(namespaceMap, null, path, 0);
                }
            }
        }

        return copy;
    }

    /// <summary>
    /// Puts the stored secret back wherever <paramref name="incoming"/> (one namespace's parameters, map form) holds
    /// the mask at a secret's path and <paramref name="stored"/> (the same namespace as stored) has a secret there.
    /// A mask with nothing stored behind it stays, and validation refuses it.
    /// </summary>
    public static void Restore(string ns, JsonObject incoming, JsonObject? stored)
    {
        if (stored is null)
        {
            return;
        }

        foreach (var path in PathsOf(ns))
        {
            Visit(incoming, stored, path, 0);
        }
    }

    /// <summary>Whether an inline secret's value is the mask (validation refuses it: it was never the secret).</summary>
    public static bool IsMask(string value) => value == Mask;

    private static string[][] PathsOf(string ns) => ns switch
    {
        "SoracomBeam" => s_beam,
        "SoracomFunnel" => s_funnel,
        _ => [],
    };

    /// <summary>
    /// Walks <paramref name="path"/> from <paramref name="node"/>. Without <paramref name="stored"/> it masks every
    /// inline string secret; with it, it replaces each mask by the string stored at the same place, if there is one.
    /// </summary>
    private static void Visit(JsonObject node, JsonObject? stored, string[] path, int depth)
    {
        var names = path[depth] == "*" ? node.Select(static p => p.Key).ToList() : [path[depth]];
        foreach (var name in names)
        {
            if (depth < path.Length - 1)
            {
                if (node[name] is JsonObject child && (stored is null || stored[name] is JsonObject))
                {
                    Visit(child, stored?[name] as JsonObject, path, depth + 1);
                }
            }
            else if (node[name] is JsonValue v && v.TryGetValue<string>(out var text))
            {
                if (stored is null)
                {
                    node[name] = Mask;
                }
                else if (IsMask(text) && stored[name] is JsonValue kept && kept.TryGetValue<string>(out _))
                {
                    node[name] = kept.DeepClone();
                }
            }
        }
    }
}
