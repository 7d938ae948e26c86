using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Signing.Soracom;

/// <summary>
/// Signs identities with one pre-shared key in SORACOM's <c>20151001</c> form. Thread-safe; create one per key
/// when the configuration loads and reuse it. <see cref="TrySignHttp"/> allocates nothing.
/// </summary>
public sealed class SoracomSigner
{
    private const int StackLimit = 512;
    private readonly byte[] _psk;

    /// <summary>Creates a signer for a pre-shared key (its UTF-8 bytes are what SORACOM prepends).</summary>
    /// <exception cref="ArgumentException">The key is empty.</exception>
    public SoracomSigner(string presharedKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(presharedKey);
        _psk = Encoding.UTF8.GetBytes(presharedKey);
    }

    /// <summary>
    /// Writes the 64-byte lowercase hex signature of the HTTP string to sign for this identity and timestamp.
    /// </summary>
    /// <returns>False when the identity is empty or the destination is shorter than 64 bytes.</returns>
    public bool TrySignHttp(SoracomIdentity identity, long timestampMs, Span<byte> hexDestination)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.IsEmpty || hexDestination.Length < SoracomSignature.HexLength)
        {
            return false;
        }

        var length = SoracomSignature.GetHttpStringToSignMaxLength(identity);
        var rented = length > StackLimit ? ArrayPool<byte>.Shared.Rent(length) : null;
        var buffer = rented ?? stackalloc byte[StackLimit];
        try
        {
            var written = SoracomSignature.WriteHttpStringToSign(identity, timestampMs, buffer);
            SoracomSignature.ComputeHex(_psk, buffer[..written], hexDestination);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The lowercase hex signature of the HTTP string to sign.</summary>
    /// <exception cref="ArgumentException">The identity is empty: a signature needs at least one identifier.</exception>
    public string SignHttp(SoracomIdentity identity, long timestampMs)
    {
        Span<byte> hex = stackalloc byte[SoracomSignature.HexLength];
        if (!TrySignHttp(identity, timestampMs, hex))
        {
            throw new ArgumentException("A signature needs at least one identifier.", nameof(identity));
        }

        return Encoding.ASCII.GetString(hex);
    }

    /// <summary>
    /// The headers Beam adds for a signed HTTP request, lowercase names in the order of the string to sign, then
    /// <c>x-soracom-timestamp</c>, <c>x-soracom-signature</c> and <c>x-soracom-signature-version</c>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> CreateHttpHeaders(SoracomIdentity identity, long timestampMs)
    {
        var signature = SignHttp(identity, timestampMs);
        var headers = CreateIdentityHeaders(identity);
        headers.Add(new(SoracomSignature.TimestampHeader, timestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        headers.Add(new(SoracomSignature.SignatureHeader, signature));
        headers.Add(new(SoracomSignature.VersionHeader, SoracomSignature.Version));
        return headers;
    }

    /// <summary>The most bytes <see cref="WriteHttpHeaderLines"/> or <see cref="WriteIdentityHeaderLines"/> write for this identity.</summary>
    public static int GetHttpHeaderLinesMaxLength(SoracomIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var length = SoracomSignature.TimestampHeader.Length + 4 + 20
            + SoracomSignature.SignatureHeader.Length + 4 + SoracomSignature.HexLength
            + SoracomSignature.VersionHeader.Length + 4 + SoracomSignature.Version.Length;
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                length += field.HeaderName.Length + 4 + value.Length;
            }
        }

        return length;
    }

    /// <summary>
    /// The headers of <see cref="CreateHttpHeaders"/>, in the same order, as HTTP/1.1 field lines
    /// (<c>name: value\r\n</c>, values in ISO-8859-1 as on the wire), written without allocating: for proxies
    /// that write request heads as bytes. Size the destination with <see cref="GetHttpHeaderLinesMaxLength"/>.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The identity is empty or the destination too small.</exception>
    public int WriteHttpHeaderLines(SoracomIdentity identity, long timestampMs, Span<byte> destination)
    {
        if (identity.IsEmpty)
        {
            throw new ArgumentException("A signature needs at least one identifier.", nameof(identity));
        }

        var written = WriteIdentityHeaderLines(identity, destination);
        written += WriteName(SoracomSignature.TimestampHeader, destination[written..]);
        if (!timestampMs.TryFormat(destination[written..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("Destination too small for the header lines.", nameof(destination));
        }

        written += digits;
        written += WriteCrlf(destination[written..]);
        written += WriteName(SoracomSignature.SignatureHeader, destination[written..]);
        if (!TrySignHttp(identity, timestampMs, destination[written..]))
        {
            throw new ArgumentException("Destination too small for the header lines.", nameof(destination));
        }

        written += SoracomSignature.HexLength;
        written += WriteCrlf(destination[written..]);
        written += WriteName(SoracomSignature.VersionHeader, destination[written..]);
        written += Encoding.ASCII.GetBytes(SoracomSignature.Version, destination[written..]);
        written += WriteCrlf(destination[written..]);
        return written;
    }

    /// <summary>The headers of <see cref="CreateIdentityHeaders"/> as HTTP/1.1 field lines, as <see cref="WriteHttpHeaderLines"/> writes them.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public static int WriteIdentityHeaderLines(SoracomIdentity identity, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var written = 0;
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                written += WriteName(field.HeaderName, destination[written..]);
                written += Encoding.Latin1.GetBytes(value, destination[written..]);
                written += WriteCrlf(destination[written..]);
            }
        }

        return written;
    }

    /// <summary>The identity headers alone, for entry points configured without a signature.</summary>
    public static List<KeyValuePair<string, string>> CreateIdentityHeaders(SoracomIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var headers = new List<KeyValuePair<string, string>>(SoracomField.All.Length + 3);
        foreach (var field in SoracomField.All)
        {
            if (field.Get(identity) is { } value)
            {
                headers.Add(new(field.HeaderName, value));
            }
        }

        return headers;
    }

    /// <summary>
    /// The signed TCP first line: <c>imei=… imsi=… msisdn=… simId=… timestamp=…;signature=&lt;hex&gt;</c>, then
    /// <c> version=20150901</c> when <see cref="TcpFirstLineOptions.AppendVersion"/> is on, then the line ending.
    /// </summary>
    public string CreateTcpFirstLine(SoracomIdentity identity, long timestampMs, TcpFirstLineOptions? options = null)
    {
        options ??= TcpFirstLineOptions.Default;
        options.Validate();
        if (identity.IsEmpty)
        {
            throw new ArgumentException("A signature needs at least one identifier.", nameof(identity));
        }

        var toSign = new byte[SoracomSignature.GetTcpStringToSignLength(identity, timestampMs)];
        SoracomSignature.WriteTcpStringToSign(identity, timestampMs, toSign);
        Span<byte> hex = stackalloc byte[SoracomSignature.HexLength];
        SoracomSignature.ComputeHex(_psk, toSign, hex);

        var line = new StringBuilder(toSign.Length + 100)
            .Append(Encoding.UTF8.GetString(toSign))
            .Append(";signature=")
            .Append(Encoding.ASCII.GetString(hex));
        if (options.AppendVersion)
        {
            line.Append(" version=").Append(SoracomSignature.TcpLineVersion);
        }

        return line.Append(options.LineEnding).ToString();
    }

    /// <summary>
    /// The unsigned TCP first line: the same pairs and <c>timestamp=</c> (as SORACOM's own test client sends them),
    /// no signature, then the line ending.
    /// </summary>
    public static string CreateUnsignedTcpFirstLine(SoracomIdentity identity, long timestampMs, TcpFirstLineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        options ??= TcpFirstLineOptions.Default;
        options.Validate();
        var toSign = new byte[SoracomSignature.GetTcpStringToSignLength(identity, timestampMs)];
        SoracomSignature.WriteTcpStringToSign(identity, timestampMs, toSign);
        return Encoding.UTF8.GetString(toSign) + options.LineEnding;
    }

    /// <summary>Constant-time check of a received hex signature against this key.</summary>
    internal bool Matches(ReadOnlySpan<byte> stringToSign, ReadOnlySpan<byte> receivedHex)
    {
        Span<byte> hex = stackalloc byte[SoracomSignature.HexLength];
        SoracomSignature.ComputeHex(_psk, stringToSign, hex);
        return CryptographicOperations.FixedTimeEquals(hex, receivedHex);
    }

    private static int WriteName(string name, Span<byte> destination)
    {
        var n = Encoding.ASCII.GetBytes(name, destination);
        ": "u8.CopyTo(destination[n..]);
        return n + 2;
    }

    private static int WriteCrlf(Span<byte> destination)
    {
        "\r\n"u8.CopyTo(destination);
        return 2;
    }
}
