namespace Gateway.Beam.Relay;

/// <summary>
/// Finds where a chunked body ends (RFC 9112 §7.1) while its bytes are relayed unchanged: chunk sizes, extensions,
/// data, the last chunk and any trailer lines.
/// </summary>
internal struct ChunkedScanner
{
    private State _state;
    private long _remaining;
    private int _digits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        EndLf,
        Done,
        Invalid,
    }

    public readonly bool IsDone => _state == State.Done;

    public readonly bool IsInvalid => _state == State.Invalid;

    /// <summary>Scans bytes; returns how many belong to the body (fewer than given only once the body has ended).</summary>
    public int Scan(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length && _state is not (State.Done or State.Invalid))
        {
            var b = bytes[i];
            switch (_state)
            {
                case State.Size:
                    var digit = HexValue(b);
                    if (digit >= 0 && _digits < 15)
                    {
                        _remaining = (_remaining << 4) | (uint)digit;
                        _digits++;
                    }
                    else if (_digits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else
                    {
                        _state = _digits > 0 && b == (byte)'\r' ? State.SizeLf : State.Invalid;
                    }

                    break;
                case State.Extension:
                    if (b == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (b == (byte)'\n')
                    {
                        _state = State.Invalid;
                    }

                    break;
                case State.SizeLf:
                    _state = b != (byte)'\n' ? State.Invalid : _remaining == 0 ? State.TrailerStart : State.Data;
                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, bytes.Length - i);
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCr;
                    }

                    continue;
                case State.DataCr:
                    _state = b == (byte)'\r' ? State.DataLf : State.Invalid;
                    break;
                case State.DataLf:
                    _state = b == (byte)'\n' ? State.Size : State.Invalid;
                    _digits = 0;
                    break;
                case State.TrailerStart:
                    _state = b == (byte)'\r' ? State.EndLf : State.Trailer;
                    break;
                case State.Trailer:
                    if (b == (byte)'\r')
                    {
                        _state = State.TrailerLf;
                    }

                    break;
                case State.TrailerLf:
                    _state = b == (byte)'\n' ? State.TrailerStart : State.Invalid;
                    break;
                case State.EndLf:
                    _state = b == (byte)'\n' ? State.Done : State.Invalid;
                    break;
            }

            i++;
        }

        return i;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
