using System.Buffers.Text;
using System.Text;

namespace Gateway.Beam.Relay;

/// <summary>
/// An upstream's response head, parsed in place (RFC 9112): status, how the body is framed, whether the connection
/// can be reused, and the header lines to pass on (hop-by-hop ones are marked to be left out).
/// </summary>
internal sealed class ResponseHead
{
    public const int MaxHeaders = 128;

    // Per header line: start, length (without CRLF), and 1 when it is passed on to the device.
    private readonly int[] _lines = new int[MaxHeaders * 3];

    public int Status { get; private set; }

    /// <summary>The status line after the version (<c>200 OK</c>).</summary>
    public Range StatusRest { get; private set; }

    public int LineCount { get; private set; }

    /// <summary>Body length, or -1 when the body is chunked or runs until the upstream closes.</summary>
    public long ContentLength { get; private set; }

    public bool Chunked { get; private set; }

    /// <summary>
    /// The upstream said the connection ends after this response (or its framing requires it). A body with no length
    /// that runs to the close is the relay's to notice: it depends on the request and status, not on the head alone.
    /// </summary>
    public bool Close { get; private set; }

    public (int Start, int Length, bool Kept) Line(int index) => (_lines[index * 3], _lines[(index * 3) + 1], _lines[(index * 3) + 2] == 1);

    /// <summary>A response to this request and of this status carries no body, whatever its headers say.</summary>
    public bool HasNoBody(bool headRequest) => headRequest || Status is 204 or 304 || Status < 200;

    /// <summary>Parses a head ending with its empty line; false when it is not a valid HTTP/1.x response head.</summary>
    public bool Parse(ReadOnlySpan<byte> head)
    {
        LineCount = 0;
        ContentLength = -1;
        Chunked = false;
        Close = false;

        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 12 || !head.StartsWith("HTTP/1."u8) || head[7] is not ((byte)'0' or (byte)'1') || head[8] != (byte)' '
            || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var used) || used != 3 || status < 100 || status > 999
            || (lineEnd > 12 && head[12] != (byte)' '))
        {
            return false;
        }

        var http10 = head[7] == (byte)'0';
        var keepAlive = false;
        var transferEncoding = false;
        var lengthLine = -1;
        Status = status;
        StatusRest = new Range(9, lineEnd);
        var position = lineEnd + 2;
        Span<char> chars = stackalloc char[64];
        while (true)
        {
            var kind = FieldLines.Next(head, position, out var end, out var colon);
            if (kind == FieldLines.Kind.End)
            {
                break;
            }

            if (kind == FieldLines.Kind.Malformed || LineCount == MaxHeaders)
            {
                return false;
            }

            var line = head.Slice(position, end);
            // Controls other than tab (a bare CR or LF above all) would let an upstream split the device's response.
            // Controls other than tab (a bare CR or LF above all) would let an upstream split the device's response;
            // Latin-1 text is passed on, as HttpClient reads it.
            if (!FieldLines.IsCleanValue(line[(colon + 1)..], allowObsText: true))
            {
                return false;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            var kept = true;
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
                    || !Utf8Parser.TryParse(value, out long length, out var lengthUsed) || lengthUsed != value.Length
                    || (ContentLength >= 0 && ContentLength != length))
                {
                    return false;
                }

                ContentLength = length;
                lengthLine = LineCount;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Chunked must be the last coding for the body to be self-delimiting; otherwise it runs to the close.
                transferEncoding = true;
                var last = value.LastIndexOf((byte)',');
                Chunked = Ascii.EqualsIgnoreCase(value[(last + 1)..].Trim((byte)' '), "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                kept = false;
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim((byte)' ');
                    Close |= Ascii.EqualsIgnoreCase(token, "close"u8);
                    keepAlive |= Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
                }
            }
            else
            {
                // Hop-by-hop names are short; a longer name is none of them.
                kept = name.Length > chars.Length || !BeamHeaders.IsHopByHop(chars[..Encoding.Latin1.GetChars(name, chars)]);
            }

            var slot = LineCount++ * 3;
            _lines[slot] = position;
            _lines[slot + 1] = end;
            _lines[slot + 2] = kept ? 1 : 0;
            position += end + 2;
        }

        if (transferEncoding)
        {
            // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and such a message must end the connection;
            // the Content-Length line is not passed on (the device gets one framing).
            if (lengthLine >= 0)
            {
                Close = true;
                _lines[(lengthLine * 3) + 2] = 0;
            }

            ContentLength = -1;
            if (!Chunked)
            {
                Close = true;
            }
        }

        Close |= http10 && !keepAlive;
        return true;
    }
}
