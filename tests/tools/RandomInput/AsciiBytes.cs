using System.Text;

namespace Gateway.RandomInput;

/// <summary>Sample and token text as bytes.</summary>
internal static class AsciiBytes
{
    public static byte[][] Of(params string[] texts) => [.. texts.Select(static t => Encoding.UTF8.GetBytes(t))];
}
