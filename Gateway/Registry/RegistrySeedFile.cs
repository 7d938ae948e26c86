using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gateway.Registry;

/// <summary>
/// Reads a registry seed file (<c>--registry FILE</c>): JSON, or YAML when the name ends in <c>.yaml</c>/<c>.yml</c>.
/// Either way the content is SORACOM's JSON shapes; YAML is only another spelling of the same tree.
/// </summary>
internal static class RegistrySeedFile
{
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>Loads and validates a seed file. On failure the document is null and every problem is listed.</summary>
    public static RegistryDocument? Load(string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                errors.Add($"{path}: no such file");
                return null;
            }

            if (info.Length > MaxBytes)
            {
                errors.Add($"{path}: larger than {MaxBytes / (1024 * 1024)} MiB");
                return null;
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path}: cannot be read: {e.Message}");
            return null;
        }

        var yaml = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
        var root = yaml ? ParseYaml(text, path, errors) : ParseJson(text, path, errors);
        return errors.Count > 0 ? null : RegistryParser.Parse(root, errors);
    }

    internal static JsonNode? ParseJson(string text, string source, List<string> errors)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            errors.Add($"{source}: not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}");
            return null;
        }
    }

    internal static JsonNode? ParseYaml(string text, string source, List<string> errors)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode, 0);
        }
        catch (YamlException e)
        {
            errors.Add($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
            return null;
        }
        catch (InvalidDataException e)
        {
            errors.Add($"{source}: {e.Message}");
            return null;
        }
    }

    private static JsonNode? Convert(YamlNode node, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidDataException("nested deeper than 64 levels");
        }

        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode scalarKey || scalarKey.Value is null)
                    {
                        throw new InvalidDataException($"line {key.Start.Line}: mapping keys must be plain strings");
                    }

                    obj[scalarKey.Value] = Convert(value, depth + 1);
                }

                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var item in seq.Children)
                {
                    array.Add(Convert(item, depth + 1));
                }

                return array;
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                throw new InvalidDataException($"line {node.Start.Line}: aliases and other YAML features are not supported");
        }
    }

    /// <summary>Quoted scalars are strings; plain ones follow YAML 1.2's core schema (null, booleans, numbers).</summary>
    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
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

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
