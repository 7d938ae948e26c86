using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gateway.BinaryParser.Json;

/// <summary>
/// The shortest decimal that reads back as a given double, by the Ryū algorithm (Ulf Adams, "Ryū: fast float-to-string
/// conversion", PLDI 2018), written from the paper's description.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>double.TryFormat</c>: .NET's shortest round-trip formatting takes a few hundred nanoseconds for a
/// widened float32 (17 significant digits), which was most of a decode. Ryū finds the same digits with three 64×128-bit
/// multiplications and a short loop of divisions by ten.
/// </para>
/// <para>
/// Idea: the double <c>v = m2·2^e2</c> rounds to itself from anywhere strictly inside (or, for an even mantissa, on the
/// edge of) the interval between the midpoints to its neighbours. All three points are scaled by 4 so they are
/// integers (<c>mm &lt; mv &lt; mp</c>) and multiplied by a power of ten chosen so that the results (<c>vm, vr, vp</c>)
/// have just a digit or two more than needed; then digits are dropped from all three while the interval still
/// contains a number, and the last dropped digit of <c>vr</c> decides the rounding. The power-of-ten factors are
/// 125-bit fixed-point numbers, computed once with <see cref="BigInteger"/>: enough precision that the truncated
/// products are exact in the digits kept (the paper's bound).
/// </para>
/// </remarks>
internal static class ShortestDecimal
{
    private const int MantissaBits = 52;
    private const int ExponentBias = 1023;

    // Precision of the tables below, in bits.
    private const int Pow5BitCount = 125;
    private const int Pow5InverseBitCount = 125;

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    // 5^i for i in 0..325 (enough for the smallest subnormal), normalised to 125 bits: floor(5^i · 2^(125 − bits(5^i))).
    private static readonly UInt128[] Pow5 = BuildPow5(326);

    // 2^(bits(5^q) − 1 + 125) / 5^q, rounded up, for q in 0..341 (enough for double.MaxValue).
    private static readonly UInt128[] Pow5Inverse = BuildPow5Inverse(342);

    /// <summary>
    /// Splits a finite, non-zero <paramref name="value"/>'s magnitude into <c>digits · 10^exponent</c> with as few
    /// digits as round-trip allows (the closest such number, ties to an even last digit).
    /// </summary>
    /// <param name="value">The number.</param>
    public static (ulong Digits, int Exponent) Compute(double value)
    {
        Debug.Assert(double.IsFinite(value) && value != 0);

        var bits = BitConverter.DoubleToUInt64Bits(value);
        var ieeeMantissa = bits & ((1UL << MantissaBits) - 1);
        var ieeeExponent = (int)((bits >> MantissaBits) & 0x7FF);

        // v = m2 · 2^e2, with 2 subtracted from e2 for the factor 4 that makes the midpoints integers.
        int e2;
        ulong m2;
        if (ieeeExponent == 0)
        {
            e2 = 1 - ExponentBias - MantissaBits - 2;
            m2 = ieeeMantissa;
        }
        else
        {
            e2 = ieeeExponent - ExponentBias - MantissaBits - 2;
            m2 = (1UL << MantissaBits) | ieeeMantissa;
        }

        // Round-to-even reading: a number exactly on the interval's edge reads back as v only when m2 is even.
        var acceptBounds = (m2 & 1) == 0;

        var mv = 4 * m2;

        // At a power of two (other than the smallest normal) the gap below is half the gap above.
        var mmShift = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1u : 0u;
        var mp = mv + 2;
        var mm = mv - 1 - mmShift;

        // vr, vp, vm are mv, mp, mm times 10^-e10 (truncated); the flags say whether the truncation dropped only zeros.
        ulong vr, vp, vm;
        int e10;
        var vmIsTrailingZeros = false;
        var vrIsTrailingZeros = false;
        if (e2 >= 0)
        {
            // One decimal digit fewer than the bound allows (for e2 > 3) keeps a digit to round on.
            var q = Log10Pow2(e2) - (e2 > 3 ? 1 : 0);
            e10 = q;
            var k = Pow5InverseBitCount + Pow5Bits(q) - 1;
            var i = -e2 + q + k;
            var factor = Pow5Inverse[q];
            vr = MulShift(mv, factor, i);
            vp = MulShift(mp, factor, i);
            vm = MulShift(mm, factor, i);

            // x · 2^e2 / 10^q is exact when 5^q divides x; no x below 2^55 is a multiple of 5^24 or more.
            if (q <= 23)
            {
                if (mv % 5 == 0)
                {
                    vrIsTrailingZeros = IsMultipleOfPow5(mv, q);
                }
                else if (acceptBounds)
                {
                    vmIsTrailingZeros = IsMultipleOfPow5(mm, q);
                }
                else
                {
                    // The upper edge is excluded, so a vp that is exactly the edge must step down.
                    vp -= IsMultipleOfPow5(mp, q) ? 1UL : 0UL;
                }
            }
        }
        else
        {
            var q = Log10Pow5(-e2) - (-e2 > 1 ? 1 : 0);
            e10 = q + e2;
            var i = -e2 - q;
            var k = Pow5Bits(i) - Pow5BitCount;
            var j = q - k;
            var factor = Pow5[i];
            vr = MulShift(mv, factor, j);
            vp = MulShift(mp, factor, j);
            vm = MulShift(mm, factor, j);

            // x · 5^i / 2^q is exact when 2^q divides x. mv = 4·m2 has at least two trailing zero bits, mp = mv + 2
            // exactly one, mm one (mmShift 1) or none.
            if (q <= 1)
            {
                vrIsTrailingZeros = true;
                if (acceptBounds)
                {
                    vmIsTrailingZeros = mmShift == 1 || q == 0;
                }
                else
                {
                    vp--;
                }
            }
            else if (q < 63)
            {
                vrIsTrailingZeros = (mv & ((1UL << q) - 1)) == 0;
            }
        }

        // Drop digits while vp and vm still differ above them. Whether k digits can go is monotonic in k, so they go
        // eight, four, two, then one at a time (a dozen divisions fewer than one by one for short decimals); dropping a
        // block leaves the flags and the rounding digit exactly as dropping its digits one by one would.
        var removed = 0;
        ulong output;
        if (vmIsTrailingZeros || vrIsTrailingZeros)
        {
            // Rare: an edge may be reachable exactly, or vr may be an exact tie; track both through the removal.
            // Short binary fractions (25.5, 0.25) come this way.
            var lastRemovedDigit = 0UL;
            while (TryRemoveTracked(ref vr, ref vp, ref vm, ref vmIsTrailingZeros, ref vrIsTrailingZeros, ref lastRemovedDigit, 100_000_000))
            {
                removed += 8;
            }

            removed += TryRemoveTracked(ref vr, ref vp, ref vm, ref vmIsTrailingZeros, ref vrIsTrailingZeros, ref lastRemovedDigit, 10_000) ? 4 : 0;
            removed += TryRemoveTracked(ref vr, ref vp, ref vm, ref vmIsTrailingZeros, ref vrIsTrailingZeros, ref lastRemovedDigit, 100) ? 2 : 0;
            removed += TryRemoveTracked(ref vr, ref vp, ref vm, ref vmIsTrailingZeros, ref vrIsTrailingZeros, ref lastRemovedDigit, 10) ? 1 : 0;

            if (vmIsTrailingZeros)
            {
                // vm itself is an acceptable (shorter) answer: keep dropping its zeros.
                while (vm % 10 == 0)
                {
                    vrIsTrailingZeros &= lastRemovedDigit == 0;
                    lastRemovedDigit = vr % 10;
                    vr /= 10;
                    vp /= 10;
                    vm /= 10;
                    removed++;
                }
            }

            if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0)
            {
                lastRemovedDigit = 4; // an exact half: round to even
            }

            output = vr + ((vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1UL : 0UL);
        }
        else
        {
            // Common: no exact ties are possible, so only the first removed digit matters for rounding.
            var roundUp = false;
            while (TryRemove(ref vr, ref vp, ref vm, ref roundUp, 100_000_000))
            {
                removed += 8;
            }

            removed += TryRemove(ref vr, ref vp, ref vm, ref roundUp, 10_000) ? 4 : 0;
            removed += TryRemove(ref vr, ref vp, ref vm, ref roundUp, 100) ? 2 : 0;
            removed += TryRemove(ref vr, ref vp, ref vm, ref roundUp, 10) ? 1 : 0;
            output = vr + (vr == vm || roundUp ? 1UL : 0UL);
        }

        return (output, e10 + removed);
    }

    // Drops the lowest log10(divisor) digits of all three if vp and vm still differ above them; roundUp says whether the
    // dropped part of vr was at least half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRemove(ref ulong vr, ref ulong vp, ref ulong vm, ref bool roundUp, ulong divisor)
    {
        var vpKept = vp / divisor;
        var vmKept = vm / divisor;
        if (vpKept <= vmKept)
        {
            return false;
        }

        var vrKept = vr / divisor;
        roundUp = vr - (vrKept * divisor) >= divisor / 2;
        vr = vrKept;
        vp = vpKept;
        vm = vmKept;
        return true;
    }

    // TryRemove for the exact case: vmIsTrailingZeros stays true while every dropped digit of vm is 0; vrIsTrailingZeros
    // while every dropped digit of vr below the last one is 0; lastRemovedDigit is the highest dropped digit of vr.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRemoveTracked(
        ref ulong vr, ref ulong vp, ref ulong vm, ref bool vmIsTrailingZeros, ref bool vrIsTrailingZeros, ref ulong lastRemovedDigit, ulong divisor)
    {
        var vpKept = vp / divisor;
        var vmKept = vm / divisor;
        if (vpKept <= vmKept)
        {
            return false;
        }

        var vrKept = vr / divisor;
        var vrDropped = vr - (vrKept * divisor);
        var lowerDivisor = divisor / 10;
        vmIsTrailingZeros &= vm - (vmKept * divisor) == 0;
        vrIsTrailingZeros &= lastRemovedDigit == 0 && vrDropped % lowerDivisor == 0;
        lastRemovedDigit = vrDropped / lowerDivisor;
        vr = vrKept;
        vp = vpKept;
        vm = vmKept;
        return true;
    }

    /// <summary>Number of decimal digits of <paramref name="value"/> (1..17 for Ryū's output).</summary>
    public static int DigitCount(ulong value)
    {
        // The bit length gives the digit count or one less (log10(2) ≈ 1233/4096); one comparison settles it.
        var guess = ((64 - BitOperations.LeadingZeroCount(value | 1)) * 1233) >> 12;
        return guess + (value >= PowersOf10[guess] ? 1 : 0);
    }

    // floor(e · log10(2)) for 0 ≤ e ≤ 1650.
    private static int Log10Pow2(int e) => (int)(((uint)e * 78913) >> 18);

    // floor(e · log10(5)) for 0 ≤ e ≤ 2620.
    private static int Log10Pow5(int e) => (int)(((uint)e * 732923) >> 20);

    // Bit length of 5^e: ceil(e · log2(5)) for e > 0, and 1 for e = 0; valid for 0 ≤ e ≤ 3528.
    private static int Pow5Bits(int e) => (int)(((uint)e * 1217359) >> 19) + 1;

    private static bool IsMultipleOfPow5(ulong value, int p)
    {
        var count = 0;
        while (value != 0 && value % 5 == 0 && count < p)
        {
            value /= 5;
            count++;
        }

        return count >= p;
    }

    // (m · factor) >> shift, with the 192-bit product kept whole; shift is always above 64 here.
    private static ulong MulShift(ulong m, UInt128 factor, int shift)
    {
        Debug.Assert(shift > 64 && shift < 128);
        var lowHigh = Math.BigMul(m, (ulong)factor, out _);
        var high = Math.BigMul(m, (ulong)(factor >> 64), out var highLow);
        var sum = new UInt128(high, highLow) + lowHigh;
        return (ulong)(sum >> (shift - 64));
    }

    private static UInt128[] BuildPow5(int count)
    {
        var table = new UInt128[count];
        for (var i = 0; i < count; i++)
        {
            var pow5 = BigInteger.Pow(5, i);
            var length = (int)pow5.GetBitLength();
            table[i] = ToUInt128(length >= Pow5BitCount ? pow5 >> (length - Pow5BitCount) : pow5 << (Pow5BitCount - length));
        }

        return table;
    }

    private static UInt128[] BuildPow5Inverse(int count)
    {
        var table = new UInt128[count];
        for (var q = 0; q < count; q++)
        {
            var pow5 = BigInteger.Pow(5, q);
            var length = (int)pow5.GetBitLength();
            table[q] = ToUInt128((BigInteger.One << (length - 1 + Pow5InverseBitCount)) / pow5 + 1);
        }

        return table;
    }

    private static UInt128 ToUInt128(BigInteger value) =>
        new((ulong)(value >> 64), (ulong)(value & ulong.MaxValue));
}
