namespace Gateway.Beam.Relay;

/// <summary>The field-line syntax request and response heads share (RFC 9112 §5): <c>name ":" value CRLF</c>.</summary>
internal static class FieldLines
{
    /// <summary>What <see cref="Next"/> found at a position in a head.</summary>
    public enum Kind
    {
        Malformed,
        Field,
        End,
    }

    /// <summary>
    /// The field line starting at <paramref name="position"/>: its length without the CRLF and where its colon is;
    /// <see cref="Kind.End"/> at the empty line closing the head.
    /// </summary>
    public static Kind Next(ReadOnlySpan<byte> head, int position, out int length, out int colon)
    {
        var rest = head[position..];
        length = rest.IndexOf("\r\n"u8);
        colon = -1;
        if (length < 0)
        {
            return Kind.Malformed;
        }

        if (length == 0)
        {
            return Kind.End;
        }

        colon = rest[..length].IndexOf((byte)':');
        return colon > 0 && IsToken(rest[..colon]) ? Kind.Field : Kind.Malformed;
    }

    /// <summary>
    /// Whether a field value holds only visible characters, spaces and tabs (RFC 9110 §5.5); bytes from 0x80 up
    /// (obs-text) are allowed only when <paramref name="allowObsText"/> is set. Never a bare CR or LF, which would
    /// split a head.
    /// </summary>
    public static bool IsCleanValue(ReadOnlySpan<byte> value, bool allowObsText)
    {
        // The common case, all printable ASCII, is settled by one vectorised search.
        if (value.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e) < 0)
        {
            return true;
        }

        foreach (var b in value)
        {
            if (!(b is >= 0x20 and <= 0x7e or (byte)'\t' || (allowObsText && b >= 0x80)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 token characters (method and field names).</summary>
    public static bool IsToken(ReadOnlySpan<byte> span)
    {
        if (span.IsEmpty)
        {
            return false;
        }

        foreach (var b in span)
        {
            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One RFC 9110 token character.</summary>
    public static bool IsTokenChar(byte b) => char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);
}
