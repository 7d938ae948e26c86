namespace Gateway.LoadGen;

/// <summary>
/// Counts of latencies in microseconds, log-linear like an HdrHistogram: exact below 2,048 µs, then 1,024 buckets per
/// power of two (relative error under 0.1 %). Recording is one array increment, thread-safe and allocation-free.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int LinearLimit = 2048; // values below this have a bucket each
    private const int SubBuckets = 1024;  // buckets per power of two above it
    private const int MaxShift = 40;      // about 12 days in microseconds: anything longer is clamped

    private readonly long[] _counts = new long[LinearLimit + MaxShift * SubBuckets];

    public long Count { get; private set; }

    public void Record(long micros)
    {
        Interlocked.Increment(ref _counts[IndexOf(Math.Max(0, micros))]);
    }

    private static int IndexOf(long v)
    {
        if (v < LinearLimit)
        {
            return (int)v;
        }

        var shift = Math.Min(63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v) - 10, MaxShift); // >= 1
        var top = Math.Min(v >> shift, 2 * SubBuckets - 1); // in [1024, 2047]
        return LinearLimit + (shift - 1) * SubBuckets + (int)(top - SubBuckets);
    }

    /// <summary>The highest value a bucket holds (so percentiles are never understated).</summary>
    private static long UpperBoundOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var shift = (index - LinearLimit) / SubBuckets + 1;
        var top = (long)((index - LinearLimit) % SubBuckets + SubBuckets);
        return ((top + 1) << shift) - 1;
    }

    /// <summary>Sums the buckets; call once recording has stopped.</summary>
    public void Seal()
    {
        long n = 0;
        foreach (var c in _counts)
        {
            n += c;
        }

        Count = n;
    }

    /// <summary>The smallest recorded value v such that at least <paramref name="quantile"/> of the values are ≤ v, in µs.</summary>
    public long ValueAt(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return UpperBoundOf(i);
            }
        }

        return UpperBoundOf(_counts.Length - 1);
    }

    public long Max() => ValueAt(1.0);

    public double Mean()
    {
        if (Count == 0)
        {
            return 0;
        }

        double sum = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] != 0)
            {
                var low = i == 0 ? 0 : UpperBoundOf(i - 1) + 1;
                sum += _counts[i] * (low + UpperBoundOf(i)) / 2.0;
            }
        }

        return sum / Count;
    }
}
