namespace Gateway.LoadGen;

/// <summary>
/// Finds the end of one HTTP/1.1 response fed in pieces: status line and headers (kept, up to 16 KB), then a body
/// delimited by Content-Length or chunked transfer coding (counted and dropped, never stored). 1xx responses are
/// skipped; 204, 304 have no body. A response delimited only by the connection closing is refused: keep-alive is
/// the point. Reused across responses with <see cref="Reset"/>; no allocation.
/// </summary>
internal sealed class ResponseParser
{
    private enum State { Headers, Body, ChunkSize, ChunkExtension, ChunkData, ChunkDataEnd, Trailer, Done }

    private readonly byte[] _head = new byte[16 * 1024];
    private int _headLength;
    private int _crlfRun;        // how much of "\r\n\r\n" ends the bytes seen so far
    private State _state;
    private long _remaining;     // body or chunk bytes still to come
    private long _chunkSize;
    private bool _chunkSizeSeen;
    private int _trailerLineLength;

    public int StatusCode { get; private set; }

    /// <summary>The server said <c>Connection: close</c>: the connection must not be reused.</summary>
    public bool CloseAfter { get; private set; }

    public bool Complete => _state == State.Done;

    public void Reset()
    {
        _headLength = 0;
        _crlfRun = 0;
        _state = State.Headers;
        _remaining = 0;
        _chunkSize = 0;
        _chunkSizeSeen = false;
        _trailerLineLength = 0;
        StatusCode = 0;
        CloseAfter = false;
    }

    /// <summary>Consumes bytes; returns false on a malformed response. Bytes after the end are ignored.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            switch (_state)
            {
                case State.Headers:
                    {
                        var b = data[i++];
                        if (_headLength == _head.Length)
                        {
                            return false;
                        }

                        _head[_headLength++] = b;
                        _crlfRun = b switch
                        {
                            (byte)'\r' => _crlfRun is 0 or 2 ? _crlfRun + 1 : 1,
                            (byte)'\n' => _crlfRun is 1 or 3 ? _crlfRun + 1 : 0,
                            _ => 0,
                        };
                        if (_crlfRun == 4 && !OnHeadersComplete())
                        {
                            return false;
                        }

                        break;
                    }

                case State.Body:
                case State.ChunkData:
                    {
                        var take = (int)Math.Min(_remaining, data.Length - i);
                        i += take;
                        _remaining -= take;
                        if (_remaining == 0)
                        {
                            _state = _state == State.Body ? State.Done : State.ChunkDataEnd;
                        }

                        break;
                    }

                case State.ChunkSize:
                    {
                        var b = data[i++];
                        var digit = HexValue(b);
                        if (digit >= 0)
                        {
                            if (_chunkSize > (long.MaxValue >> 4))
                            {
                                return false;
                            }

                            _chunkSize = (_chunkSize << 4) | (uint)digit;
                            _chunkSizeSeen = true;
                        }
                        else if (b == (byte)'\n')
                        {
                            if (!_chunkSizeSeen)
                            {
                                return false;
                            }

                            EndOfChunkSize();
                        }
                        else if (b == (byte)';' || b == (byte)' ' || b == (byte)'\t')
                        {
                            _state = State.ChunkExtension;
                        }
                        else if (b != (byte)'\r')
                        {
                            return false;
                        }

                        break;
                    }

                case State.ChunkExtension:
                    if (data[i++] == (byte)'\n')
                    {
                        if (!_chunkSizeSeen)
                        {
                            return false;
                        }

                        EndOfChunkSize();
                    }

                    break;

                case State.ChunkDataEnd:
                    if (data[i++] == (byte)'\n')
                    {
                        _state = State.ChunkSize;
                        _chunkSize = 0;
                        _chunkSizeSeen = false;
                    }

                    break;

                case State.Trailer:
                    {
                        var b = data[i++];
                        if (b == (byte)'\n')
                        {
                            if (_trailerLineLength == 0)
                            {
                                _state = State.Done;
                            }

                            _trailerLineLength = 0;
                        }
                        else if (b != (byte)'\r')
                        {
                            _trailerLineLength++;
                        }

                        break;
                    }

                default:
                    return false;
            }
        }

        return true;
    }

    private void EndOfChunkSize()
    {
        if (_chunkSize == 0)
        {
            _state = State.Trailer;
            _trailerLineLength = 0;
        }
        else
        {
            _remaining = _chunkSize;
            _state = State.ChunkData;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private bool OnHeadersComplete()
    {
        var head = _head.AsSpan(0, _headLength);
        // "HTTP/1.x NNN"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' ')
        {
            return false;
        }

        var status = 0;
        for (var k = 9; k < 12; k++)
        {
            var d = head[k] - '0';
            if (d is < 0 or > 9)
            {
                return false;
            }

            status = status * 10 + d;
        }

        var http10 = head[7] == (byte)'0';
        long contentLength = -1;
        var chunked = false;
        var close = http10;
        var lineStart = head.IndexOf((byte)'\n') + 1;
        while (lineStart < head.Length)
        {
            var lineLength = head[lineStart..].IndexOf((byte)'\n');
            if (lineLength < 0)
            {
                break;
            }

            var line = head.Slice(lineStart, lineLength).TrimEnd((byte)'\r');
            lineStart += lineLength + 1;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (System.Text.Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!System.Buffers.Text.Utf8Parser.TryParse(value, out long n, out var used) || used != value.Length || n < 0)
                {
                    return false;
                }

                contentLength = n;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = ContainsIgnoreCase(value, "chunked"u8);
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsIgnoreCase(value, "close"u8))
                {
                    close = true;
                }
                else if (ContainsIgnoreCase(value, "keep-alive"u8))
                {
                    close = false;
                }
            }
        }

        if (status is >= 100 and < 200)
        {
            // An interim response: the real one follows.
            _headLength = 0;
            _crlfRun = 0;
            return true;
        }

        StatusCode = status;
        CloseAfter = close;
        if (status is 204 or 304)
        {
            _state = State.Done;
        }
        else if (chunked)
        {
            _state = State.ChunkSize;
            _chunkSize = 0;
            _chunkSizeSeen = false;
        }
        else if (contentLength >= 0)
        {
            _remaining = contentLength;
            _state = contentLength == 0 ? State.Done : State.Body;
        }
        else
        {
            return false; // delimited by close: not supported
        }

        return true;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        for (var k = 0; k + needle.Length <= haystack.Length; k++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(haystack.Slice(k, needle.Length), needle))
            {
                return true;
            }
        }

        return false;
    }
}
