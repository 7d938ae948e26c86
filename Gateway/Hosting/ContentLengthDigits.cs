using System.Text;

namespace Gateway.Hosting;

/// <summary>
/// Kestrel's decoding of the <c>Content-Length</c> request header, so that only digits pass (RFC 9110 §8.6:
/// <c>1*DIGIT</c>). Kestrel's own parser takes <c>+5</c> as 5 and then shows only the number, so nothing after it can
/// tell; a request-header encoding is the one hook Kestrel gives into that parse. With it, Kestrel decodes the value
/// through this encoding and parses the characters: a byte that is not a digit becomes <c>x</c>, the parse fails and
/// Kestrel answers 400 and closes the connection, as the relay does. Other headers keep Kestrel's default decoding.
/// </summary>
internal sealed class ContentLengthDigits : Encoding
{
    public static readonly ContentLengthDigits Instance = new();

    /// <summary>For <c>KestrelServerOptions.RequestHeaderEncodingSelector</c>: this encoding for Content-Length, else Kestrel's default.</summary>
    public static Encoding? Select(string headerName) =>
        headerName.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) ? Instance : null;

    public override int GetChars(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        // Kestrel gives room for 20 characters and refuses anything over 19 (more than long.MaxValue has): a longer
        // value is cut at the room given, which Kestrel then refuses by its length.
        var n = Math.Min(bytes.Length, chars.Length);
        for (var i = 0; i < n; i++)
        {
            chars[i] = bytes[i] is >= (byte)'0' and <= (byte)'9' ? (char)bytes[i] : 'x';
        }

        return n;
    }

    public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex) =>
        GetChars(bytes.AsSpan(byteIndex, byteCount), chars.AsSpan(charIndex));

    public override int GetCharCount(byte[] bytes, int index, int count) => count;

    public override int GetByteCount(char[] chars, int index, int count) => count;

    public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex)
    {
        for (var i = 0; i < charCount; i++)
        {
            bytes[byteIndex + i] = chars[charIndex + i] < 128 ? (byte)chars[charIndex + i] : (byte)'?';
        }

        return charCount;
    }

    public override int GetMaxByteCount(int charCount) => charCount;

    public override int GetMaxCharCount(int byteCount) => byteCount;
}
