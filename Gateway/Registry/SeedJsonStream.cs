using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// Walks a JSON seed file's top-level sections through a bounded buffer, so that a file of a million subscribers
/// is never held whole, neither as text nor as a tree: each array element is cut out, parsed on its own
/// (<see cref="StrictJson"/>) and handed over. Any defect of the text itself (syntax, a repeated key, bad UTF-8)
/// ends the walk with <see cref="Defect"/> set; the caller then reports it as the whole-file parser words it.
/// </summary>
internal sealed class SeedJsonStream
{
    /// <summary>Takes one array element's text; returns what is wrong with the text itself, or null.</summary>
    public delegate string? ElementHandler(int index, ReadOnlySpan<byte> utf8);

    private const int InitialBuffer = 1 << 20;
    private static readonly JsonReaderOptions s_options = new()
    {
        MaxDepth = StrictJson.MaxDepth,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>What the walk stopped at, with where; null when the text was sound.</summary>
    public string? Defect { get; private set; }

    /// <summary>
    /// Walks the file. A section named <paramref name="elementsOf"/> that is an array goes element by element to
    /// <paramref name="element"/> (index, its text), or is skipped unparsed when that is null; every other
    /// section goes whole to <paramref name="section"/> (name, parsed value), or is skipped when that is null.
    /// </summary>
    public void Walk(string path, string elementsOf, Action<string, JsonNode?>? section, ElementHandler? element)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[InitialBuffer];
        var length = Fill(file, buffer, 0);
        var start = length >= 3 && buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8) ? 3 : 0;
        var state = new JsonReaderState(s_options);
        var final = length < buffer.Length;
        var walker = new Walker(elementsOf, section, element);
        try
        {
            while (true)
            {
                var reader = new Utf8JsonReader(buffer.AsSpan(start, length - start), final, state);
                var done = walker.Advance(ref reader, buffer.AsSpan(start, length - start), out var consumed);
                if (walker.Defect is not null)
                {
                    Defect = walker.Defect;
                    return;
                }

                if (done)
                {
                    return;
                }

                if (final)
                {
                    Defect = "the file ends before the JSON does";
                    return;
                }

                // Keep the unconsumed tail (a token or element cut by the buffer's end), growing the buffer when the
                // tail fills it: one element larger than the buffer doubles it, nothing else does.
                state = walker.State;
                var tail = length - start - consumed;
                if (tail * 2 > buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                Buffer.BlockCopy(buffer, start + consumed, buffer, 0, tail);
                start = 0;
                length = Fill(file, buffer, tail);
                final = length < buffer.Length;
            }
        }
        catch (JsonException e)
        {
            Defect = $"not valid JSON: {e.Message}";
        }
    }

    private static int Fill(FileStream file, byte[] buffer, int from)
    {
        while (from < buffer.Length)
        {
            var read = file.Read(buffer, from, buffer.Length - from);
            if (read == 0)
            {
                break;
            }

            from += read;
        }

        return from;
    }

    /// <summary>The walk's position between buffers: which section it is in and how far.</summary>
    private sealed class Walker(string elementsOf, Action<string, JsonNode?>? section, ElementHandler? element)
    {
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private string? _current;
        private bool _inElements;
        private int _index;

        public string? Defect { get; private set; }

        public JsonReaderState State { get; private set; }

        /// <summary>Reads what the buffer holds; returns true at the document's end.</summary>
        public bool Advance(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, out int consumed)
        {
            while (true)
            {
                State = reader.CurrentState;
                consumed = (int)reader.BytesConsumed;
                if (!reader.Read())
                {
                    return false;
                }

                switch (reader.CurrentDepth, reader.TokenType)
                {
                    case (0, JsonTokenType.StartObject):
                        continue;
                    case (0, JsonTokenType.EndObject):
                        return true;
                    case (0, _):
                        Defect = "the registry is not a JSON object";
                        return true;
                    case (1, JsonTokenType.PropertyName):
                        if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan) || !_names.Add(_current = reader.GetString()!))
                        {
                            Defect = "a section name is repeated or not valid UTF-8";
                            return true;
                        }

                        continue;
                    case (1, JsonTokenType.StartArray) when _current == elementsOf:
                        _inElements = true;
                        _index = 0;
                        continue;
                    case (1, JsonTokenType.EndArray):
                        _inElements = false;
                        continue;
                    case (2, _) when _inElements:
                        var from = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                        {
                            return false;
                        }

                        if (element?.Invoke(_index, text[from..(int)reader.BytesConsumed]) is { } defect)
                        {
                            Defect = defect;
                            return true;
                        }

                        _index++;
                        continue;
                    case (1, _):
                        var name = _current!;
                        var isNull = reader.TokenType == JsonTokenType.Null;
                        if (!Take(ref reader, text, name == elementsOf || section is null ? null : node => section(name, node)))
                        {
                            return Defect is not null;
                        }

                        if (name == elementsOf && section is not null && !isNull)
                        {
                            // Not an array (an object, a number, …): a stand-in that is not one either, so the
                            // caller gives the whole-file parser's wording.
                            section(name, JsonValue.Create(0));
                        }

                        continue;
                    default:
                        Defect = "unexpected JSON structure";
                        return true;
                }
            }
        }

        /// <summary>
        /// Cuts out the value at the reader and hands it over parsed. False when the buffer does not hold all of it
        /// (the reader is left as it was, to be read again with more), or when it is not sound (<see cref="Defect"/>).
        /// </summary>
        private bool Take(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, Action<JsonNode?>? use)
        {
            var from = (int)reader.TokenStartIndex;
            if (!reader.TrySkip())
            {
                return false;
            }

            if (use is null)
            {
                return true;
            }

            var node = StrictJson.Parse(text[from..(int)reader.BytesConsumed], lenient: true, out var error);
            if (error is not null)
            {
                Defect = error;
                return false;
            }

            use(node);
            return true;
        }
    }
}
