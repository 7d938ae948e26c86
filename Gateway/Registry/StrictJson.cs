using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Gateway.Registry;

/// <summary>
/// Parses registry JSON (an admin request body, a seed file) so that every defect is a <see cref="JsonException"/>
/// at parse time. <see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/> is lazy: a
/// duplicate key or a string that is not valid UTF-8 parses, and throws later (ArgumentException,
/// InvalidOperationException) wherever the tree is first read, which surfaced as a 500 with an empty body and as a
/// stack trace at start.
/// </summary>
internal static class StrictJson
{
    public const int MaxDepth = 64;

    /// <summary>The tree, or the first problem (a sentence without a path; the caller says where).</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, bool lenient, out string? error)
    {
        if (!Utf8.IsValid(utf8))
        {
            error = $"not valid UTF-8 (at byte {InvalidUtf8At(utf8) + 1})";
            return null;
        }

        try
        {
            var node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions
            {
                MaxDepth = MaxDepth,
                AllowDuplicateProperties = false,
                CommentHandling = lenient ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
                AllowTrailingCommas = lenient,
            });
            Materialize(node);
            error = null;
            return node;
        }
        catch (JsonException e)
        {
            error = $"not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}";
            return null;
        }
        catch (InvalidOperationException)
        {
            // A string escape that decodes to no valid text (a lone surrogate such as \ud800).
            error = "not valid JSON: a string holds an escape that is not valid Unicode text";
            return null;
        }
    }

    /// <summary>Reads every string once, so that a defect the parser leaves for later is found now.</summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    Materialize(child);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Materialize(child);
                }

                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                v.GetValue<string>();
                break;
            default:
                break;
        }
    }

    private static int InvalidUtf8At(ReadOnlySpan<byte> utf8)
    {
        var valid = 0;
        while (System.Text.Rune.DecodeFromUtf8(utf8[valid..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            valid += consumed;
        }

        return valid;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
