using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gateway.Registry;

/// <summary>
/// Reads a YAML seed into the same JSON tree a JSON seed gives, straight from the parser's events, with bounds:
/// nesting at most <see cref="StrictJson.MaxDepth"/>, and aliases expanding to at most <see cref="MaxAliasNodes"/>
/// nodes in all. YamlDotNet's representation model expands every alias as it is read, so a few hundred bytes of
/// nested aliases ("billion laughs") would become billions of nodes; here each alias costs the size of what it
/// copies, and the budget ends the load with an error long before memory is at risk. A repeated key is an error
/// too, as it is in a JSON seed.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>How many nodes aliases may copy in all: ample for sharing entries between groups.</summary>
    public const int MaxAliasNodes = 100_000;

    /// <summary>The first document's tree (null for an empty stream). Throws <see cref="YamlException"/> on any problem.</summary>
    public static JsonNode? Read(TextReader text)
    {
        var parser = new Parser(text);
        try
        {
            return ReadDocument(parser);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException && e.TargetSite?.DeclaringType?.Assembly == typeof(Parser).Assembly)
        {
            // YamlDotNet 16.3 reports some malformed input with these instead of a YamlException: a document-end marker
            // followed by content ("...\na"), "..." opening a flow mapping in a block sequence, a tag that is not a URI
            // ("!!str]"), a %TAG directive without a prefix, an empty verbatim tag ("!<>"); tests/tools/RandomInput
            // found them. Where the last good event was is as close to the fault as can be said.
            var at = parser.Current;
            throw new YamlException(at?.Start ?? Mark.Empty, at?.End ?? Mark.Empty, "the YAML cannot be read past here", e);
        }
    }

    private static JsonNode? ReadDocument(IParser parser)
    {
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _))
        {
            return null;
        }

        parser.Consume<DocumentStart>();
        var state = new State();
        var (root, _) = ReadNode(parser, state, 0);
        parser.Consume<DocumentEnd>();
        return root;
    }

    private sealed class State
    {
        public Dictionary<string, (JsonNode? Node, int Size)> Anchors { get; } = new(StringComparer.Ordinal);

        public long AliasNodes { get; set; }
    }

    /// <summary>A node and how many nodes it holds (what an alias to it costs).</summary>
    private static (JsonNode? Node, int Size) ReadNode(IParser parser, State state, int depth)
    {
        if (depth > StrictJson.MaxDepth)
        {
            var at = parser.Current!;
            throw new YamlException(at.Start, at.End, $"nested deeper than {StrictJson.MaxDepth} levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return Expand(alias, state);
        }

        var start = parser.Current!;
        var anchor = start is NodeEvent { Anchor.IsEmpty: false } node ? node.Anchor.Value : null;
        var (result, size) = start switch
        {
            MappingStart => ReadMapping(parser, state, depth),
            SequenceStart => ReadSequence(parser, state, depth),
            Scalar => (ConvertScalar(parser.Consume<Scalar>()), 1),
            _ => throw new YamlException(start.Start, start.End, $"unexpected {start.GetType().Name}"),
        };

        if (anchor is not null)
        {
            state.Anchors[anchor] = (result, size);
        }

        return (result, size);
    }

    private static (JsonNode? Node, int Size) Expand(AnchorAlias alias, State state)
    {
        if (!state.Anchors.TryGetValue(alias.Value.Value, out var target))
        {
            throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value.Value} refers to no anchor before it");
        }

        state.AliasNodes += target.Size;
        if (state.AliasNodes > MaxAliasNodes)
        {
            throw new YamlException(alias.Start, alias.End, $"aliases expand to more than {MaxAliasNodes:N0} nodes (nested aliases?); write the values out");
        }

        return (target.Node?.DeepClone(), target.Size);
    }

    private static (JsonNode, int) ReadMapping(IParser parser, State state, int depth)
    {
        parser.Consume<MappingStart>();
        var obj = new JsonObject();
        var size = 1;
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            if (parser.Current is not Scalar key)
            {
                var at = parser.Current!;
                throw new YamlException(at.Start, at.End, "mapping keys must be plain strings");
            }

            parser.MoveNext();
            if (obj.ContainsKey(key.Value))
            {
                throw new YamlException(key.Start, key.End, $"duplicate key '{key.Value}'");
            }

            var (value, valueSize) = ReadNode(parser, state, depth + 1);
            obj[key.Value] = value;
            size += 1 + valueSize;
        }

        return (obj, size);
    }

    private static (JsonNode, int) ReadSequence(IParser parser, State state, int depth)
    {
        parser.Consume<SequenceStart>();
        var array = new JsonArray();
        var size = 1;
        while (!parser.TryConsume<SequenceEnd>(out _))
        {
            var (item, itemSize) = ReadNode(parser, state, depth + 1);
            array.Add(item);
            size += itemSize;
        }

        return (array, size);
    }

    /// <summary>Quoted scalars are strings; plain ones follow YAML 1.2's core schema (null, booleans, numbers).</summary>
    private static JsonValue? ConvertScalar(Scalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            default:
                break;
        }

        // Digits with a leading zero (an ICCID, an IMSI written bare) stay strings rather than losing the zero.
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) && !(value.Length > 1 && value[0] == '0'))
        {
            return JsonValue.Create(l);
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && value.Any(static c => c is '.' or 'e' or 'E') && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(value);
    }
}
