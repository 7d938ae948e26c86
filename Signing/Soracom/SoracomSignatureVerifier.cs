using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.Signing.Soracom;

/// <summary>
/// Verifies SORACOM <c>20151001</c> signatures for backends: HTTP <c>x-soracom-*</c> headers or a TCP first line,
/// against one or more pre-shared keys, with a clock-skew window, bounded replay protection and constant-time
/// comparison. Thread-safe; one instance serves a whole server.
/// </summary>
public sealed class SoracomSignatureVerifier
{
    private const int StackLimit = 512;
    private readonly SoracomSigner[] _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxSkew;
    private readonly ReplayCache? _replay;

    /// <summary>Creates a verifier.</summary>
    /// <exception cref="ArgumentException">The options are not usable; the message lists every problem.</exception>
    public SoracomSignatureVerifier(SoracomVerifierOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        _keys = [.. options.PreSharedKeys.Select(static k => new SoracomSigner(k))];
        _time = timeProvider ?? TimeProvider.System;
        _maxSkew = options.MaxClockSkew;
        _replay = options.ReplayProtection ? new ReplayCache(options.ReplayCacheCapacity) : null;
    }

    /// <summary>Verifies the <c>x-soracom-*</c> headers of an ASP.NET Core request.</summary>
    public SoracomVerificationResult Verify(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return VerifyHeaders(name => headers.TryGetValue(name, out var v) ? v : default);
    }

    /// <summary>Verifies <c>x-soracom-*</c> headers given as name/value pairs (names compared case-insensitively).</summary>
    public SoracomVerificationResult Verify(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var map = new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map[name] = map.TryGetValue(name, out var existing)
                ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, value)
                : new Microsoft.Extensions.Primitives.StringValues(value);
        }

        return VerifyHeaders(name => map.TryGetValue(name, out var v) ? v : default);
    }

    private SoracomVerificationResult VerifyHeaders(Func<string, Microsoft.Extensions.Primitives.StringValues> get)
    {
        string? Single(string name, out SoracomVerificationResult? error)
        {
            var values = get(name);
            error = values.Count > 1
                ? SoracomVerificationResult.Fail(SignatureFailure.Malformed, $"header {name} is repeated")
                : null;
            return values.Count == 1 ? values[0] : null;
        }

        var signature = Single(SoracomSignature.SignatureHeader, out var error);
        if (error is not null)
        {
            return error;
        }

        if (signature is null)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, $"missing header {SoracomSignature.SignatureHeader}");
        }

        var version = Single(SoracomSignature.VersionHeader, out error);
        if (error is not null)
        {
            return error;
        }

        if (version is null)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, $"missing header {SoracomSignature.VersionHeader}");
        }

        if (version != SoracomSignature.Version)
        {
            return SoracomVerificationResult.Fail(
                SignatureFailure.UnknownVersion,
                $"unknown signature version '{Printable(version)}' (expected {SoracomSignature.Version})");
        }

        var timestamp = Single(SoracomSignature.TimestampHeader, out error);
        if (error is not null)
        {
            return error;
        }

        if (timestamp is null)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, $"missing header {SoracomSignature.TimestampHeader}");
        }

        var fields = new string?[SoracomField.All.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = Single(SoracomField.All[i].HeaderName, out error);
            if (error is not null)
            {
                return error;
            }
        }

        var identity = new SoracomIdentity
        {
            InventoryDeviceId = fields[0],
            Imei = fields[1],
            Imsi = fields[2],
            LoraDeviceId = fields[3],
            Msisdn = fields[4],
            SigfoxDeviceId = fields[5],
            SimId = fields[6],
        };
        if (identity.IsEmpty)
        {
            return SoracomVerificationResult.Fail(
                SignatureFailure.MissingHeader,
                "missing identity: none of x-soracom-imei, x-soracom-imsi, x-soracom-msisdn, x-soracom-sim-id, "
                + "x-soracom-lora-device-id, x-soracom-sigfox-device-id, x-soracom-device-id is present");
        }

        if (ParseTimestamp(timestamp, SoracomSignature.TimestampHeader) is { } tsError)
        {
            return tsError;
        }

        var ts = long.Parse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture);
        if (CheckSkew(ts) is { } skewError)
        {
            return skewError;
        }

        if (!TryDecodeHex(signature, out var received))
        {
            return SoracomVerificationResult.Fail(SignatureFailure.Malformed, $"header {SoracomSignature.SignatureHeader} is not 64 hex characters");
        }

        // Build the string to sign from the known identity headers only: other x-soracom-* headers (operator ID,
        // custom headers) are not signed, whatever a generic "sort every x-soracom-* header" verifier would do.
        var length = SoracomSignature.GetHttpStringToSignLength(identity, ts);
        var keyIndex = MatchKey(length, identity, ts, static (id, t, buffer) => SoracomSignature.WriteHttpStringToSign(id, t, buffer), received);
        if (keyIndex < 0 && identity.InventoryDeviceId is not null)
        {
            // SORACOM's Inventory documentation names the signed field x-soracom-device-id while its verifier signs
            // x-device-id; accept either spelling.
            keyIndex = MatchKey(length + 8, identity, ts, static (id, t, buffer) =>
            {
                var n = 0;
                "x-soracom-device-id="u8.CopyTo(buffer);
                n += 20;
                n += Encoding.UTF8.GetBytes(id.InventoryDeviceId!, buffer[n..]);
                "x-soracom-timestamp="u8.CopyTo(buffer[n..]);
                n += 20;
                n += Encoding.ASCII.GetBytes(t.ToString(CultureInfo.InvariantCulture), buffer[n..]);
                return n;
            }, received);
        }

        return Finish(keyIndex, identity, ts, received);
    }

    /// <summary>
    /// Verifies a TCP first line, <c>imei=… imsi=… timestamp=…;signature=&lt;hex&gt;[ version=20150901]</c>, with or
    /// without its line ending. The string to sign is the received text before the semicolon, as SORACOM specifies.
    /// </summary>
    public SoracomVerificationResult VerifyTcpFirstLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.TrimEnd('\n').TrimEnd('\r');
        var semicolon = line.IndexOf(";signature=", StringComparison.Ordinal);
        if (semicolon < 0)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, "missing ;signature= on the first line");
        }

        var toSign = line[..semicolon];
        var rest = line[(semicolon + ";signature=".Length)..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var signature = space < 0 ? rest : rest[..space];
        if (space >= 0)
        {
            var suffix = rest[(space + 1)..];
            if (!suffix.StartsWith("version=", StringComparison.Ordinal) || suffix.Contains(' ', StringComparison.Ordinal))
            {
                return SoracomVerificationResult.Fail(SignatureFailure.Malformed, $"unexpected text after the signature: '{Printable(suffix)}'");
            }

            if (suffix["version=".Length..] != SoracomSignature.TcpLineVersion)
            {
                return SoracomVerificationResult.Fail(
                    SignatureFailure.UnknownVersion,
                    $"unknown signature version '{Printable(suffix["version=".Length..])}' (expected {SoracomSignature.TcpLineVersion})");
            }
        }

        string? imei = null, imsi = null, msisdn = null, simId = null, timestamp = null;
        foreach (var pair in toSign.Split(' '))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return SoracomVerificationResult.Fail(SignatureFailure.Malformed, $"'{Printable(pair)}' on the first line is not key=value");
            }

            var value = pair[(eq + 1)..];
            switch (pair[..eq])
            {
                case "imei": imei = value; break;
                case "imsi": imsi = value; break;
                case "msisdn": msisdn = value; break;
                case "simId": simId = value; break;
                case "timestamp": timestamp = value; break;
                default: break; // Signed as received, but not an identifier we expose.
            }
        }

        if (timestamp is null)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, "missing timestamp= on the first line");
        }

        var identity = new SoracomIdentity { Imei = imei, Imsi = imsi, Msisdn = msisdn, SimId = simId };
        if (identity.IsEmpty)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.MissingHeader, "missing identity: none of imei=, imsi=, msisdn=, simId= on the first line");
        }

        if (ParseTimestamp(timestamp, "timestamp=") is { } tsError)
        {
            return tsError;
        }

        var ts = long.Parse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture);
        if (CheckSkew(ts) is { } skewError)
        {
            return skewError;
        }

        if (!TryDecodeHex(signature, out var received))
        {
            return SoracomVerificationResult.Fail(SignatureFailure.Malformed, "signature= is not 64 hex characters");
        }

        var bytes = Encoding.UTF8.GetBytes(toSign);
        var keyIndex = -1;
        for (var i = 0; i < _keys.Length && keyIndex < 0; i++)
        {
            keyIndex = _keys[i].Matches(bytes, received.Hex) ? i : -1;
        }

        return Finish(keyIndex, identity, ts, received);
    }

    private SoracomVerificationResult Finish(int keyIndex, SoracomIdentity identity, long ts, ReceivedSignature received)
    {
        if (keyIndex < 0)
        {
            return SoracomVerificationResult.Fail(SignatureFailure.Mismatch, "signature mismatch: no configured key produces this signature");
        }

        if (_replay is not null)
        {
            var expireBefore = _maxSkew == Timeout.InfiniteTimeSpan
                ? long.MinValue
                : _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_maxSkew.TotalMilliseconds;
            if (!_replay.TryAdd(ReplayCache.Digest.From(received.Digest), ts, expireBefore, out var underFloor))
            {
                return SoracomVerificationResult.Fail(
                    SignatureFailure.Replayed,
                    underFloor
                        ? "replayed: timestamp is older than the replay cache can vouch for (cache full)"
                        : "replayed: this signature was already accepted");
            }
        }

        return SoracomVerificationResult.Ok(identity, ts, keyIndex);
    }

    private int MatchKey(int length, SoracomIdentity identity, long ts, WriteStringToSign write, ReceivedSignature received)
    {
        var rented = length > StackLimit ? ArrayPool<byte>.Shared.Rent(length) : null;
        var buffer = rented ?? stackalloc byte[StackLimit];
        try
        {
            var written = write(identity, ts, buffer);
            for (var i = 0; i < _keys.Length; i++)
            {
                // Every key is tried only until one matches; which key matched is not secret.
                if (_keys[i].Matches(buffer[..written], received.Hex))
                {
                    return i;
                }
            }

            return -1;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private SoracomVerificationResult? CheckSkew(long ts)
    {
        if (_maxSkew == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var distance = Math.Abs(now - ts);
        return distance > _maxSkew.TotalMilliseconds
            ? SoracomVerificationResult.Fail(
                SignatureFailure.StaleTimestamp,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"stale timestamp: {ts} is {distance / 1000.0:0.###} s {(ts < now ? "behind" : "ahead of")} the verifier's clock; allowed skew is {_maxSkew.TotalSeconds:0.###} s"))
            : null;
    }

    private static SoracomVerificationResult? ParseTimestamp(string value, string name)
    {
        if (value.Length is 0 or > 18 || !value.All(char.IsAsciiDigit))
        {
            return SoracomVerificationResult.Fail(
                SignatureFailure.MalformedTimestamp,
                $"{name} '{Printable(value)}' is not a decimal number of milliseconds");
        }

        return null;
    }

    private static bool TryDecodeHex(string hex, out ReceivedSignature received)
    {
        received = default;
        if (hex.Length != SoracomSignature.HexLength)
        {
            return false;
        }

        var digest = new byte[32];
        if (Convert.FromHexString(hex, digest, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        var lower = new byte[SoracomSignature.HexLength];
        SoracomSignature.ToLowerHex(digest, lower);
        received = new ReceivedSignature(digest, lower);
        return true;
    }

    /// <summary>Echo at most 40 printable ASCII characters of device-sent text into a reason.</summary>
    private static string Printable(string value)
    {
        var sb = new StringBuilder(Math.Min(value.Length, 40));
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, 40)))
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return value.Length > 40 ? sb.Append('…').ToString() : sb.ToString();
    }

    private delegate int WriteStringToSign(SoracomIdentity identity, long timestampMs, Span<byte> destination);

    private readonly record struct ReceivedSignature(byte[] Digest, byte[] Hex);
}
