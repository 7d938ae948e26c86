using System.Buffers.Text;
using System.Text;

namespace Gateway.Beam.Relay;

/// <summary>
/// An HTTP/1.1 request head parsed in place: offsets into the caller's bytes, no strings. Only the plain shape the
/// relay forwards itself is accepted; anything else (another version, chunked or expected bodies, upgrades,
/// encoded or dot-segment paths, folded lines, non-ASCII bytes, duplicate framing headers) is reported as
/// <see cref="Parse"/> returning false, and the connection is handed to Kestrel, which serves or refuses it.
/// </summary>
internal sealed class RequestHead
{
    public const int MaxHeaders = 64;

    // Per header: name start, name length, value start, value length.
    private readonly int[] _fields = new int[MaxHeaders * 4];

    public int HeaderCount { get; private set; }

    public Range Method { get; private set; }

    /// <summary>The origin-form target as sent: path, and query if any.</summary>
    public Range Target { get; private set; }

    /// <summary>Length of the path part of <see cref="Target"/> (up to the <c>?</c>).</summary>
    public int PathLength { get; private set; }

    /// <summary>The request body's length; 0 when the device sent no Content-Length.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The device asked for the connection to end after this exchange (<c>Connection: close</c>).</summary>
    public bool Close { get; private set; }

    public bool IsHead { get; private set; }

    /// <summary>
    /// After <see cref="Parse"/> returned false: the head is malformed, not merely outside the relay's shape, and gets
    /// <c>400</c>. Today a Content-Length that is not digits alone (<c>+5</c>, <c>-1</c>, <c>5 5</c>): Kestrel's parser
    /// accepts a sign, so the request must not be handed to it.
    /// </summary>
    public bool Malformed { get; private set; }

    public (int Start, int Length) Name(int index) => (_fields[index * 4], _fields[(index * 4) + 1]);

    public (int Start, int Length) Value(int index) => (_fields[(index * 4) + 2], _fields[(index * 4) + 3]);

    /// <summary>Parses a head that ends with its empty line; false when the relay leaves the request to Kestrel.</summary>
    public bool Parse(ReadOnlySpan<byte> head)
    {
        HeaderCount = 0;
        ContentLength = 0;
        Close = false;
        Malformed = false;

        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !ParseRequestLine(head[..lineEnd]))
        {
            return false;
        }

        var hasHost = false;
        var hasLength = false;
        var position = lineEnd + 2;
        while (true)
        {
            var kind = FieldLines.Next(head, position, out var end, out var colon);
            if (kind == FieldLines.Kind.End)
            {
                return hasHost;
            }

            if (kind == FieldLines.Kind.Malformed || HeaderCount == MaxHeaders)
            {
                return false;
            }

            var line = head.Slice(position, end);
            var valueStart = colon + 1;
            while (valueStart < line.Length && line[valueStart] is (byte)' ' or (byte)'\t')
            {
                valueStart++;
            }

            var valueEnd = line.Length;
            while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
            {
                valueEnd--;
            }

            var name = line[..colon];
            var value = line[valueStart..valueEnd];
            // ASCII only, as Kestrel reads request headers.
            if (!FieldLines.IsCleanValue(value, allowObsText: false))
            {
                return false;
            }

            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                // Digits only: Kestrel refuses a sign or spaces inside, and so must whoever frames the body upstream.
                if (hasLength || value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
                    || !Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length)
                {
                    Malformed = !hasLength;
                    return false;
                }

                hasLength = true;
                ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (hasHost)
                {
                    return false;
                }

                hasHost = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (!ParseConnection(value))
                {
                    return false;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || Ascii.EqualsIgnoreCase(name, "Expect"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8))
            {
                return false;
            }

            var slot = HeaderCount++ * 4;
            _fields[slot] = position;
            _fields[slot + 1] = colon;
            _fields[slot + 2] = position + valueStart;
            _fields[slot + 3] = valueEnd - valueStart;
            position += end + 2;
        }
    }

    /// <summary>
    /// Whether the first bytes of a request head, its end not yet seen, can never become a request: a line ended by a
    /// bare LF, a method that is not a token, or a whole first line not shaped <c>method SP target SP HTTP/d.d</c>.
    /// Waiting for the rest would only end in the headers timeout's <c>408</c> 30 s later; the answer is <c>400</c> now.
    /// </summary>
    /// <remarks>One look at <paramref name="partial"/>; a head read piece by piece is asked through a
    /// <see cref="PartialHeadScan"/>, which looks at each byte once.</remarks>
    public static bool IsHopeless(ReadOnlySpan<byte> partial) => new PartialHeadScan().IsHopeless(partial);

    // method SP target SP HTTP/d.d, the target printable ASCII: any version or method Kestrel may serve or refuse itself.
    internal static bool IsRequestLineShape(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (space <= 0 || last <= space + 1)
        {
            return false;
        }

        var version = line[(last + 1)..];
        return line[(space + 1)..last].IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) < 0
            && version.Length == 8 && version.StartsWith("HTTP/"u8)
            && char.IsAsciiDigit((char)version[5]) && version[6] == (byte)'.' && char.IsAsciiDigit((char)version[7]);
    }

    private bool ParseRequestLine(ReadOnlySpan<byte> line)
    {
        // Upper-case methods only: Kestrel's path normalises a known method written in lower case ("get" → GET).
        var space = line.IndexOf((byte)' ');
        if (space <= 0 || !FieldLines.IsToken(line[..space]) || line[..space].IndexOfAnyInRange((byte)'a', (byte)'z') >= 0 || line[..space].SequenceEqual("CONNECT"u8))
        {
            return false;
        }

        var targetStart = space + 1;
        var second = line[targetStart..].IndexOf((byte)' ');
        if (second <= 0 || !line[(targetStart + second + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        var target = line.Slice(targetStart, second);

        // Origin form only, printable ASCII, nothing Kestrel would decode or normalise (percent escapes, dot segments).
        if (target[0] != (byte)'/' || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0)
        {
            return false;
        }

        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        if (path.IndexOf((byte)'%') >= 0 || path.IndexOf("/."u8) >= 0)
        {
            return false;
        }

        Method = new Range(0, space);
        IsHead = line[..space].SequenceEqual("HEAD"u8);
        Target = new Range(targetStart, targetStart + second);
        PathLength = path.Length;
        return true;
    }

    private bool ParseConnection(ReadOnlySpan<byte> value)
    {
        // Only close and keep-alive: any other token names a hop-by-hop header to drop, which Kestrel's path handles.
        foreach (var range in value.Split((byte)','))
        {
            var token = value[range].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                Close = true;
            }
            else if (!Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                return false;
            }
        }

        return true;
    }
}
