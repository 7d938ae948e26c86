using System.Security.Cryptography;
using System.Text;

namespace Gateway.Signing.MessageSignatures;

/// <summary>
/// Verifies RFC 9421 <c>hmac-sha256</c> signatures: parses <c>Signature-Input</c> and <c>Signature</c>, checks
/// that the required components are covered, rebuilds the signature base from the message, and compares in
/// constant time. The body itself is checked separately, against <c>Content-Digest</c>
/// (<see cref="ContentDigest.Verify"/>). Thread-safe.
/// </summary>
public sealed class HttpMessageSignatureVerifier
{
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string[] _required;
    private readonly TimeSpan _maxSkew;
    private readonly string? _label;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier.</summary>
    /// <exception cref="ArgumentException">The options are not usable; the message lists every problem.</exception>
    public HttpMessageSignatureVerifier(MessageSignatureVerifierOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        _keys = new Dictionary<string, byte[]>(options.Keys, StringComparer.Ordinal);
        _required = [.. options.RequiredComponents];
        _maxSkew = options.MaxClockSkew;
        _label = options.Label;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Verifies the signature on a message.</summary>
    /// <param name="message">The message as received.</param>
    /// <param name="signatureInput">The <c>Signature-Input</c> header value, or null when absent.</param>
    /// <param name="signature">The <c>Signature</c> header value, or null when absent.</param>
    public MessageSignatureVerificationResult Verify(HttpMessageComponents message, string? signatureInput, string? signature)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (signatureInput is null)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingHeader, "missing header Signature-Input");
        }

        if (signature is null)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingHeader, "missing header Signature");
        }

        if (!StructuredFieldParser.TryParseDictionary(signatureInput, out var inputs, out var error))
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"Signature-Input: {error}");
        }

        if (!StructuredFieldParser.TryParseDictionary(signature, out var signatures, out error))
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"Signature: {error}");
        }

        var candidates = _label is null ? inputs : inputs.Where(m => m.Key == _label).ToList();
        if (candidates.Count == 0)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingHeader, $"no signature labelled '{_label}'");
        }

        MessageSignatureVerificationResult? firstFailure = null;
        foreach (var input in candidates)
        {
            var result = VerifyOne(message, input, signatures);
            if (result.IsValid)
            {
                return result;
            }

            firstFailure ??= result;
        }

        return firstFailure!;
    }

    private MessageSignatureVerificationResult VerifyOne(
        HttpMessageComponents message,
        StructuredFieldParser.Member input,
        List<StructuredFieldParser.Member> signatures)
    {
        if (input.InnerList is null || input.InnerList.Any(static c => c is not string))
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"Signature-Input {input.Key} is not a list of component names");
        }

        var components = input.InnerList.Cast<string>().ToList();
        long? created = null, expires = null;
        string? keyId = null, alg = null, nonce = null, tag = null;
        foreach (var (name, value) in input.Parameters)
        {
            switch (name, value)
            {
                case ("created", long c): created = c; break;
                case ("expires", long e): expires = e; break;
                case ("keyid", string k): keyId = k; break;
                case ("alg", string a): alg = a; break;
                case ("nonce", string n): nonce = n; break;
                case ("tag", string t): tag = t; break;
                case ("created" or "expires" or "keyid" or "alg" or "nonce" or "tag", _):
                    return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"Signature-Input {input.Key}: parameter {name} has the wrong type");
                default:
                    break;
            }
        }

        if (keyId is null || !_keys.TryGetValue(keyId, out var key))
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.UnknownKey, $"signature {input.Key}: unknown keyid '{keyId}'");
        }

        if (alg is not null && alg != "hmac-sha256")
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.UnsupportedAlgorithm, $"signature {input.Key}: unsupported alg '{alg}'");
        }

        foreach (var required in _required)
        {
            if (!components.Contains(required, StringComparer.Ordinal))
            {
                return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingComponent, $"signature {input.Key} does not cover required component {required}");
            }
        }

        foreach (var c in components)
        {
            if (c.Length == 0 || (c[0] == '@' && !HttpMessageComponents.IsSupportedDerived(c)))
            {
                return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"signature {input.Key} covers unsupported component '{c}'");
            }
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_maxSkew != Timeout.InfiniteTimeSpan)
        {
            if (created is null)
            {
                return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingHeader, $"signature {input.Key} has no created parameter");
            }

            if (Math.Abs(now - created.Value) > _maxSkew.TotalSeconds)
            {
                return MessageSignatureVerificationResult.Fail(SignatureFailure.StaleTimestamp, $"signature {input.Key}: created {created} is outside the allowed skew of {_maxSkew.TotalSeconds} s");
            }
        }

        if (expires is { } exp && now > exp)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.StaleTimestamp, $"signature {input.Key} expired at {exp}");
        }

        var sig = signatures.FirstOrDefault(s => s.Key == input.Key);
        if (sig is null)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingHeader, $"Signature has no member {input.Key}");
        }

        if (sig.Item is not byte[] received)
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.Malformed, $"Signature {input.Key} is not a byte sequence");
        }

        // The @signature-params line is the member value exactly as received: re-serializing could differ in
        // parameter order or spacing from what the signer hashed.
        var parameters = new SignatureParameters(components, created, expires, keyId, alg, nonce, tag);
        if (!parameters.TryBuildBase(message, input.RawValue, out var signatureBase, out var missing))
        {
            return MessageSignatureVerificationResult.Fail(SignatureFailure.MissingComponent, $"signature {input.Key} covers {missing}, which the message lacks");
        }

        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signatureBase));
        return CryptographicOperations.FixedTimeEquals(expected, received)
            ? MessageSignatureVerificationResult.Ok(keyId, components)
            : MessageSignatureVerificationResult.Fail(SignatureFailure.Mismatch, $"signature {input.Key} does not match");
    }
}
