namespace Gateway.Registry;

/// <summary>
/// What configuration text may hold when it ends up on the wire: in an HTTP head (header names and values), a TCP
/// first line, an MQTT CONNECT. One rule for the registry's validation and for the writers' last-line check, so a
/// value the registry accepts is never one a writer refuses.
/// </summary>
internal static class WireText
{
    /// <summary>
    /// A header value, user name or similar: no control characters (CR and LF would start a new header line or
    /// request on a connection other groups share; NUL ends strings in some peers), horizontal tab allowed.
    /// </summary>
    public static bool IsCleanValue(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' and not '\t' or '\x7f')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a value holds a character that can break a line-based head: CR, LF or NUL.</summary>
    public static bool BreaksHead(ReadOnlySpan<char> value) => value.IndexOfAny('\r', '\n', '\0') >= 0;

    /// <summary>An RFC 9110 token (a header name).</summary>
    public static bool IsToken(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Throws when <paramref name="value"/> would break a head. Writers call it on configuration text they put into
    /// a request, as a last line of defence behind the registry's validation: a value that got past it is a bug, and
    /// failing the request is better than sending a second, injected header on a pooled connection.
    /// </summary>
    public static void EnsureSafeInHead(string what, ReadOnlySpan<char> value)
    {
        if (BreaksHead(value))
        {
            // Never the value itself: it may be a credential.
            throw new InvalidOperationException($"refused to write {what} holding CR, LF or NUL into a request head");
        }
    }
}
