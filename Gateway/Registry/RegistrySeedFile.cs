using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Gateway.Registry;

/// <summary>
/// Reads a registry seed file (<c>--registry FILE</c>): JSON, or YAML when the name ends in <c>.yaml</c>/<c>.yml</c>.
/// Either way the content is SORACOM's JSON shapes; YAML is only another spelling of the same tree. The file is
/// bounded (<see cref="MaxBytes"/>, nesting <see cref="StrictJson.MaxDepth"/> levels, YAML aliases
/// <see cref="YamlTreeReader.MaxAliasNodes"/> nodes), must be UTF-8, and may not repeat a key.
/// </summary>
internal static class RegistrySeedFile
{
    /// <summary>The most a YAML file (read whole) may hold; a JSON file larger than this is streamed.</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>The most a JSON file may hold: it is streamed, element by element, so only the parsed registry stays.</summary>
    public const long MaxJsonBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>Loads and validates a seed file. On failure the document is null and every problem is listed.</summary>
    public static RegistryDocument? Load(string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                errors.Add($"{path}: no such file");
                return null;
            }

            var yamlFile = IsYaml(path);
            var limit = yamlFile ? MaxBytes : MaxJsonBytes;
            if (info.Length > limit)
            {
                errors.Add($"{path}: larger than {limit / (1024 * 1024)} MiB");
                return null;
            }

            if (!yamlFile)
            {
                var streamErrors = new List<string>();
                var streamed = SeedJsonLoader.Load(path, streamErrors, out var defect);
                if (defect is null)
                {
                    errors.AddRange(streamErrors);
                    return streamed;
                }

                if (info.Length > MaxBytes)
                {
                    // Too large to read whole for the whole-file parser's exact wording: the stream's own.
                    errors.Add($"{path}: {defect}");
                    return null;
                }

            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path}: cannot be read: {e.Message}");
            return null;
        }

        var yaml = IsYaml(path);
        var text = bytes.AsSpan();
        if (text.StartsWith("\uFEFF"u8))
        {
            // Editors on Windows start UTF-8 files with a byte order mark; it is not part of the document.
            text = text[3..];
        }

        var root = yaml ? ParseYaml(text, path, errors) : ParseJson(text, path, errors);
        return errors.Count > 0 ? null : RegistryParser.Parse(root, errors);
    }

    private static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    internal static JsonNode? ParseJson(ReadOnlySpan<byte> utf8, string source, List<string> errors)
    {
        var root = StrictJson.Parse(utf8, lenient: true, out var error);
        if (error is not null)
        {
            errors.Add($"{source}: {error}");
        }

        return root;
    }

    internal static JsonNode? ParseYaml(ReadOnlySpan<byte> utf8, string source, List<string> errors)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // The same wording as for JSON: StrictJson says where.
            StrictJson.Parse(utf8, lenient: true, out var error);
            errors.Add($"{source}: {error}");
            return null;
        }

        try
        {
            return YamlTreeReader.Read(new StringReader(System.Text.Encoding.UTF8.GetString(utf8)));
        }
        catch (YamlException e)
        {
            errors.Add($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
            return null;
        }
    }
}
