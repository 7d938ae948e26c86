using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.BinaryParser;
using Gateway.Registry;

namespace Gateway.Pipeline;

/// <summary>
/// The group's binary parser (<c>SoracomAir.binaryParserEnabled</c> / <c>binaryParserFormat</c>), compiled once per
/// group object. It applies to data arriving on the TCP and UDP entry points (and LPWA uplinks) before any service
/// sees it; HTTP bodies are forwarded as they are.
/// </summary>
internal static class GroupBinaryParser
{
    private static readonly ConditionalWeakTable<Group, Holder> s_cache = [];

    /// <summary>The decoder, or null when the group has the parser off (or no group).</summary>
    public static BinaryDecoder? For(Group? group) =>
        group is null ? null : s_cache.GetValue(group, static g => new Holder(Compile(g))).Decoder;

    /// <summary>
    /// The shape stage for TCP and UDP payloads: the parser's JSON object for <paramref name="payload"/>, or null when
    /// the group has the parser off (the message then travels as bytes).
    /// </summary>
    public static ReadOnlyMemory<byte>? Parse(Group? group, ReadOnlySpan<byte> payload)
    {
        if (For(group) is not { } decoder)
        {
            return null;
        }

        var json = new ArrayBufferWriter<byte>(payload.Length * 4 + 64);
        decoder.Decode(payload, json);
        return json.WrittenMemory;
    }

    private static BinaryDecoder? Compile(Group group)
    {
        if (group.Configuration["SoracomAir"] is not JsonObject air
            || air["binaryParserEnabled"] is not JsonValue enabled || enabled.GetValueKind() != JsonValueKind.True
            || (string?)air["binaryParserFormat"] is not { Length: > 0 } format)
        {
            return null;
        }

        // The registry refused broken formats when it loaded, so this compiles.
        return BinaryFormat.TryCompile(format, out var decoder, out _) ? decoder : null;
    }

    private sealed record Holder(BinaryDecoder? Decoder);
}
