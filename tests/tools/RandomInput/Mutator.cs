using System.Buffers.Binary;
using System.Text;

namespace Gateway.RandomInput;

/// <summary>
/// Generates a target's inputs: mostly a valid sample with a few stacked mutations (bit flips, interesting bytes,
/// byte insertion and deletion, splices with another sample, grammar tokens, boundary integers, numbers written as
/// text, long repeats, truncation), sometimes a sample unchanged, sometimes pure random bytes. Deterministic for a seed.
/// </summary>
internal sealed class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x7f, 0x80, 0x81, 0xc0, 0xfe, 0xff];

    private static readonly ulong[] BoundaryIntegers =
    [
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
        0x100000000, long.MaxValue, 0x8000000000000000, ulong.MaxValue,
    ];

    private static readonly byte[][] Numbers = [.. new[]
    {
        "0", "-0", "1", "-1", "+1", "7", "8", "15", "16", "31", "32", "33", "63", "64", "65", "127", "128", "255", "256",
        "4096", "65535", "65536", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "99999999999999999999999999", "1e308", "1e309", "-1e-400",
        "0.0000001", "NaN", "Infinity", "0x10", "1_000", "00", "007",
    }.Select(Encoding.ASCII.GetBytes)];

    private readonly IParserTarget _target;
    private readonly Random _random;
    private readonly byte[] _buffer;
    private int _length;

    public Mutator(IParserTarget target, int seed)
    {
        _target = target;
        _random = new Random(seed);
        _buffer = new byte[Math.Max(64, target.MaxInputBytes)];
    }

    /// <summary>The next input, already passed through the target's <see cref="IParserTarget.Shape"/>.</summary>
    public byte[] Next()
    {
        var roll = _random.Next(100);
        if (roll < 5)
        {
            return _target.Shape(RandomBytes(), _random);
        }

        var sample = Pick(_target.Samples);
        Load(sample);
        if (roll >= 10)
        {
            // 1, 2, 4 or 8 mutations stacked; most inputs stay close to a valid one.
            var count = 1 << _random.Next(4);
            for (var i = 0; i < count; i++)
            {
                Mutate();
            }
        }

        return _target.Shape(_buffer.AsSpan(0, _length).ToArray(), _random);
    }

    private byte[] RandomBytes()
    {
        // Mostly short: a length skewed towards small values, printable ASCII half the time for the text formats.
        var length = _random.Next(1 + _random.Next(Math.Min(_target.MaxInputBytes, 4096)));
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        if (_random.Next(2) == 0)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(0x20 + (bytes[i] % 0x5f));
            }
        }

        return bytes;
    }

    private void Mutate()
    {
        switch (_random.Next(14))
        {
            case 0 when _length > 0:
                _buffer[_random.Next(_length)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when _length > 0:
                _buffer[_random.Next(_length)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 2 when _length > 0:
                _buffer[_random.Next(_length)] = (byte)_random.Next(256);
                break;
            case 3:
                Span<byte> noise = stackalloc byte[1 + _random.Next(16)];
                _random.NextBytes(noise);
                Insert(_random.Next(_length + 1), noise);
                break;
            case 4 or 5:
                Insert(_random.Next(_length + 1), Pick(_target.Tokens));
                break;
            case 6 when _length > 0:
                Overwrite(_random.Next(_length), Pick(_target.Tokens));
                break;
            case 7 when _length > 0:
                var start = _random.Next(_length);
                Delete(start, 1 + _random.Next(_random.Next(2) == 0 ? Math.Min(8, _length - start) : _length - start));
                break;
            case 8 when _length > 0:
                Repeat();
                break;
            case 9:
                Splice();
                break;
            case 10 when _length > 0:
                _length = _random.Next(_length);
                break;
            case 11 when _length > 0:
                BoundaryInteger();
                break;
            case 12 when _length > 0:
                ReplaceNumber();
                break;
            case 13 when _length > 1:
                // Copy a range of the input over another place in it.
                var from = _random.Next(_length);
                var count = 1 + _random.Next(Math.Min(32, _length - from));
                var copy = _buffer.AsSpan(from, count).ToArray();
                Overwrite(_random.Next(_length), copy);
                break;
            default:
                Insert(_random.Next(_length + 1), [InterestingBytes[_random.Next(InterestingBytes.Length)]]);
                break;
        }
    }

    /// <summary>A range of the input repeated many times in place: long lines, deep nesting, many attributes.</summary>
    private void Repeat()
    {
        var start = _random.Next(_length);
        var count = 1 + _random.Next(Math.Min(16, _length - start));
        var unit = _buffer.AsSpan(start, count).ToArray();
        var times = Math.Min(2 + _random.Next(_random.Next(4) == 0 ? 4096 : 16), (_buffer.Length - _length) / unit.Length);
        var repeated = new byte[unit.Length * times];
        for (var i = 0; i < times; i++)
        {
            unit.CopyTo(repeated, i * unit.Length);
        }

        Insert(start, repeated);
    }

    /// <summary>This input's head and another sample's tail.</summary>
    private void Splice()
    {
        var other = Pick(_target.Samples);
        var cut = _random.Next(_length + 1);
        var from = _random.Next(other.Length + 1);
        _length = cut;
        Insert(cut, other.AsSpan(from));
    }

    private void BoundaryInteger()
    {
        var value = BoundaryIntegers[_random.Next(BoundaryIntegers.Length)];
        if (_random.Next(4) == 0)
        {
            value = unchecked(0 - value);
        }

        Span<byte> bytes = stackalloc byte[8];
        var width = 1 << _random.Next(4);
        if (_random.Next(2) == 0)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
            Overwrite(_random.Next(_length), bytes[(8 - width)..]);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            Overwrite(_random.Next(_length), bytes[..width]);
        }
    }

    /// <summary>A run of digits written in the input replaced by a boundary number.</summary>
    private void ReplaceNumber()
    {
        var at = _buffer.AsSpan(0, _length).IndexOfAnyInRange((byte)'0', (byte)'9');
        if (at < 0)
        {
            Insert(_random.Next(_length + 1), Pick(Numbers));
            return;
        }

        // Some later run, not always the first.
        var skip = _random.Next(_length - at);
        var later = _buffer.AsSpan(at + skip, _length - at - skip).IndexOfAnyInRange((byte)'0', (byte)'9');
        if (later >= 0)
        {
            at += skip + later;
        }

        var end = at;
        while (end < _length && _buffer[end] is >= (byte)'0' and <= (byte)'9')
        {
            end++;
        }

        Delete(at, end - at);
        Insert(at, Pick(Numbers));
    }

    private void Load(ReadOnlySpan<byte> sample)
    {
        _length = Math.Min(sample.Length, _buffer.Length);
        sample[.._length].CopyTo(_buffer);
    }

    private void Insert(int at, ReadOnlySpan<byte> bytes)
    {
        var count = Math.Min(bytes.Length, _buffer.Length - _length);
        if (count <= 0)
        {
            return;
        }

        _buffer.AsSpan(at, _length - at).CopyTo(_buffer.AsSpan(at + count));
        bytes[..count].CopyTo(_buffer.AsSpan(at));
        _length += count;
    }

    private void Overwrite(int at, ReadOnlySpan<byte> bytes)
    {
        var count = Math.Min(bytes.Length, _length - at);
        bytes[..count].CopyTo(_buffer.AsSpan(at));
    }

    private void Delete(int at, int count)
    {
        _buffer.AsSpan(at + count, _length - at - count).CopyTo(_buffer.AsSpan(at));
        _length -= count;
    }

    private byte[] Pick(IReadOnlyList<byte[]> choices) => choices[_random.Next(choices.Count)];
}
