using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Signing.Soracom;

/// <summary>
/// SORACOM Beam signature version <c>20151001</c>: <c>lowercase_hex(SHA-256(PSK + stringToSign))</c>. It is not an
/// HMAC: the key is simply prepended. Byte-compatible with what Beam sends, so backends that verify Beam today keep
/// working. All methods here write into caller-supplied spans and allocate nothing.
/// </summary>
public static class SoracomSignature
{
    /// <summary>The value of <c>x-soracom-signature-version</c>.</summary>
    public const string Version = "20151001";

    /// <summary>The suffix version token SORACOM documents for the TCP first line (<c> version=20150901</c>).</summary>
    public const string TcpLineVersion = "20150901";

    /// <summary>Header carrying the signature.</summary>
    public const string SignatureHeader = "x-soracom-signature";

    /// <summary>Header carrying the signature version.</summary>
    public const string VersionHeader = "x-soracom-signature-version";

    /// <summary>Header carrying the timestamp in Unix milliseconds.</summary>
    public const string TimestampHeader = "x-soracom-timestamp";

    /// <summary>Length of the signature in hex characters.</summary>
    public const int HexLength = 64;

    private static ReadOnlySpan<byte> TimestampName => "x-soracom-timestamp="u8;
    private static ReadOnlySpan<byte> TcpTimestampName => "timestamp="u8;
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>The number of bytes <see cref="WriteHttpStringToSign"/> writes for this identity and timestamp.</summary>
    public static int GetHttpStringToSignLength(SoracomIdentity identity, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var length = TimestampName.Length + DigitCount(timestampMs);
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                length += field.SignedNameUtf8.Length + Encoding.UTF8.GetByteCount(value);
            }
        }

        return length;
    }

    /// <summary>An upper bound of <see cref="GetHttpStringToSignLength"/> that costs no UTF-8 counting.</summary>
    internal static int GetHttpStringToSignMaxLength(SoracomIdentity identity)
    {
        var length = TimestampName.Length + 20;
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                length += field.SignedNameUtf8.Length + (value.Length * 3);
            }
        }

        return length;
    }

    /// <summary>
    /// Writes the HTTP string to sign, e.g. <c>x-soracom-imei=…x-soracom-imsi=…x-soracom-timestamp=…</c>: every set
    /// identifier in the fixed order, no separators, then the timestamp.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public static int WriteHttpStringToSign(SoracomIdentity identity, long timestampMs, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var written = 0;
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                Append(field.SignedNameUtf8, destination, ref written);
                written += Encoding.UTF8.GetBytes(value, destination[written..]);
            }
        }

        Append(TimestampName, destination, ref written);
        AppendNumber(timestampMs, destination, ref written);
        return written;
    }

    /// <summary>The number of bytes <see cref="WriteTcpStringToSign"/> writes.</summary>
    public static int GetTcpStringToSignLength(SoracomIdentity identity, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var length = TcpTimestampName.Length + DigitCount(timestampMs);
        foreach (var field in SoracomField.Tcp)
        {
            if (field.Get(identity) is { } value)
            {
                length += field.TcpKeyUtf8!.Length + Encoding.UTF8.GetByteCount(value) + 1;
            }
        }

        return length;
    }

    /// <summary>
    /// Writes the TCP string to sign, <c>imei=… imsi=… msisdn=… simId=… timestamp=…</c>: set identifiers in that
    /// order, single spaces between pairs. LPWA and Inventory identifiers have no TCP form and are refused.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The identity holds an identifier with no TCP form, or the destination is too small.</exception>
    public static int WriteTcpStringToSign(SoracomIdentity identity, long timestampMs, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!identity.IsCellularOnly)
        {
            throw new ArgumentException("A TCP first line carries only imei, imsi, msisdn and simId.", nameof(identity));
        }

        var written = 0;
        foreach (var field in SoracomField.Tcp)
        {
            if (field.Get(identity) is { } value)
            {
                Append(field.TcpKeyUtf8!, destination, ref written);
                written += Encoding.UTF8.GetBytes(value, destination[written..]);
                Append(" "u8, destination, ref written);
            }
        }

        Append(TcpTimestampName, destination, ref written);
        AppendNumber(timestampMs, destination, ref written);
        return written;
    }

    /// <summary>
    /// Computes <c>lowercase_hex(SHA-256(psk + stringToSign))</c> into <paramref name="hexDestination"/> as 64 ASCII bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than 64 bytes.</exception>
    public static void ComputeHex(ReadOnlySpan<byte> psk, ReadOnlySpan<byte> stringToSign, Span<byte> hexDestination)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(psk, stringToSign, digest);
        ToLowerHex(digest, hexDestination);
    }

    /// <summary>Computes the raw 32-byte digest <c>SHA-256(psk + stringToSign)</c>.</summary>
    public static void ComputeDigest(ReadOnlySpan<byte> psk, ReadOnlySpan<byte> stringToSign, Span<byte> digestDestination) =>
        Sha256.Hash(psk, stringToSign, digestDestination);

    /// <summary>Convenience form for tools and tests: the lowercase hex signature of a string with a PSK.</summary>
    public static string ComputeHex(string psk, string stringToSign)
    {
        ArgumentNullException.ThrowIfNull(psk);
        ArgumentNullException.ThrowIfNull(stringToSign);
        Span<byte> hex = stackalloc byte[HexLength];
        ComputeHex(Encoding.UTF8.GetBytes(psk), Encoding.UTF8.GetBytes(stringToSign), hex);
        return Encoding.ASCII.GetString(hex);
    }

    internal static void ToLowerHex(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length * 2)
        {
            throw new ArgumentException("Destination too small for the hex form.", nameof(destination));
        }

        for (var i = 0; i < source.Length; i++)
        {
            destination[2 * i] = HexDigits[source[i] >> 4];
            destination[(2 * i) + 1] = HexDigits[source[i] & 0xF];
        }
    }

    internal static int DigitCount(long value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A timestamp is a non-negative number of milliseconds.");
        }

        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private static void Append(ReadOnlySpan<byte> bytes, Span<byte> destination, ref int written)
    {
        bytes.CopyTo(destination[written..]);
        written += bytes.Length;
    }

    private static void AppendNumber(long value, Span<byte> destination, ref int written)
    {
        if (value < 0 || !Utf8Formatter.TryFormat(value, destination[written..], out var n))
        {
            throw new ArgumentException("Destination too small, or a negative timestamp.", nameof(destination));
        }

        written += n;
    }
}
