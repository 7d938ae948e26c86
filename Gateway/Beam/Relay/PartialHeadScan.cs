namespace Gateway.Beam.Relay;

/// <summary>
/// <see cref="RequestHead.IsHopeless"/> for a request head that arrives a few bytes at a time: it remembers what it has
/// already looked at, so each read costs only its new bytes. Looking at the whole head again on every read made a head
/// trickled in byte by byte cost time quadratic in its length. It must be given the same head, grown (the relay keeps
/// unparsed bytes where they are), until <see cref="Reset"/> at the start of the next head.
/// </summary>
internal sealed class PartialHeadScan
{
    // Bytes looked at so far; none of them is a bare LF.
    private int _scanned;

    // How many leading bytes are token characters (the method, if the line is well formed).
    private int _tokenPrefix;

    // The first space and the first CRLF, once seen (-1 before).
    private int _space = -1;
    private int _lineEnd = -1;

    // The first line's shape, checked once its CRLF has come.
    private bool? _badShape;

    public void Reset()
    {
        _scanned = 0;
        _tokenPrefix = 0;
        _space = -1;
        _lineEnd = -1;
        _badShape = null;
    }

    /// <summary>Whether the head so far can never become a request (see <see cref="RequestHead.IsHopeless"/>).</summary>
    public bool IsHopeless(ReadOnlySpan<byte> partial)
    {
        if (partial.Length < _scanned)
        {
            // Not the head it was looking at: start over rather than trust what it remembered.
            Reset();
        }

        if (HasBareLineFeed(partial))
        {
            return true;
        }

        FindFirstLine(partial);
        _scanned = partial.Length;
        return FirstLineIsHopeless(partial);
    }

    /// <summary>An LF not preceded by CR among the new bytes (the byte before the first new one is looked at too).</summary>
    private bool HasBareLineFeed(ReadOnlySpan<byte> partial)
    {
        for (var from = _scanned; from < partial.Length;)
        {
            var lf = partial[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return false;
            }

            var at = from + lf;
            if (at == 0 || partial[at - 1] != (byte)'\r')
            {
                return true;
            }

            from = at + 1;
        }

        return false;
    }

    /// <summary>Extends the token prefix and looks for the first space and CRLF among the new bytes.</summary>
    private void FindFirstLine(ReadOnlySpan<byte> partial)
    {
        while (_tokenPrefix < partial.Length && FieldLines.IsTokenChar(partial[_tokenPrefix]))
        {
            _tokenPrefix++;
        }

        if (_space < 0 && partial[_scanned..].IndexOf((byte)' ') is var space and >= 0)
        {
            _space = _scanned + space;
        }

        // A CRLF may straddle the old end: its CR was the last byte looked at.
        var start = Math.Max(_scanned - 1, 0);
        if (_lineEnd < 0 && partial[start..].IndexOf("\r\n"u8) is var crlf and >= 0)
        {
            _lineEnd = start + crlf;
        }
    }

    /// <summary>A method that is not a token, or a whole first line not shaped <c>method SP target SP HTTP/d.d</c>.</summary>
    private bool FirstLineIsHopeless(ReadOnlySpan<byte> partial)
    {
        var lineLength = _lineEnd >= 0 ? _lineEnd : partial.Length;
        var spaceInLine = _space >= 0 && _space < lineLength;
        var methodLength = spaceInLine ? _space : lineLength;
        if (methodLength > 0 ? _tokenPrefix < methodLength : spaceInLine)
        {
            return true;
        }

        if (_lineEnd < 0)
        {
            return false;
        }

        _badShape ??= !RequestHead.IsRequestLineShape(partial[.._lineEnd]);
        return _badShape.Value;
    }
}
