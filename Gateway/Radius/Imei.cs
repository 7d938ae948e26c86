namespace Gateway.Radius;

/// <summary>
/// IMEI arithmetic. 3GPP-IMEISV carries the 16-digit IMEISV: TAC (8) + serial number (6) + software version (2).
/// The 15-digit IMEI that SORACOM shows and that IMEI locks compare against is the same first 14 digits followed
/// by a Luhn check digit (3GPP TS 23.003 §6.2.1, §B.3), which the IMEISV does not carry: it has to be computed.
/// </summary>
internal static class Imei
{
    /// <summary>
    /// The 15-digit IMEI for an IMEISV (16 digits), or for a value a network already sent as an IMEI (15 digits,
    /// returned as it is) or without its check digit (14 digits, completed). Null for anything else, since a
    /// wrong IMEI is worse than none for an IMEI lock.
    /// </summary>
    public static string? FromImeisv(string? imeisv)
    {
        if (imeisv is null || !IsDigits(imeisv))
        {
            return null;
        }

        return imeisv.Length switch
        {
            16 or 14 => string.Concat(imeisv.AsSpan(0, 14), [LuhnCheckDigit(imeisv.AsSpan(0, 14))]),
            15 => imeisv,
            _ => null,
        };
    }

    /// <summary>
    /// The Luhn check digit for a string of decimal digits: from the rightmost digit leftwards, every other digit
    /// (starting with the rightmost) is doubled and its digits summed; the check digit brings the total to a multiple of 10.
    /// </summary>
    public static char LuhnCheckDigit(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = true;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (d is < 0 or > 9)
            {
                throw new ArgumentException("Only decimal digits have a Luhn check digit.", nameof(digits));
            }

            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return (char)('0' + ((10 - (sum % 10)) % 10));
    }

    private static bool IsDigits(string s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return s.Length > 0;
    }
}
