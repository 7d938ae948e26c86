using System.Security.Cryptography;
using System.Text;

namespace Gateway.Signing.MessageSignatures;

/// <summary>
/// Adds an RFC 9421 HTTP Message Signature with <c>hmac-sha256</c>. Unlike SORACOM's signature it can cover the
/// method, the target URI and (through <c>content-digest</c>) the body, so a backend can tell that nothing was
/// changed or replayed onto another path. Thread-safe.
/// </summary>
public sealed class HttpMessageSigner
{
    private readonly byte[] _key;

    /// <summary>Creates a signer.</summary>
    /// <param name="keyId">Sent as the <c>keyid</c> parameter, so the verifier can pick the key (and rotate it).</param>
    /// <param name="key">The shared HMAC key; at least 32 bytes is recommended.</param>
    public HttpMessageSigner(string keyId, byte[] key)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ArgumentException("The HMAC key may not be empty.", nameof(key));
        }

        KeyId = keyId;
        _key = (byte[])key.Clone();
    }

    /// <summary>The key ID sent with every signature.</summary>
    public string KeyId { get; }

    /// <summary>
    /// The components the gateway covers by default: the method, the full target URI, the body digest, and each
    /// identity header it sends.
    /// </summary>
    public static IReadOnlyList<string> DefaultComponents(IEnumerable<string> identityHeaders) =>
        ["@method", "@target-uri", "content-digest", .. identityHeaders.Select(static h => h.ToLowerInvariant())];

    /// <summary>
    /// Signs a message. The message must already carry every covered header (e.g. <c>Content-Digest</c> from
    /// <see cref="ContentDigest.Compute(ReadOnlySpan{byte})"/>).
    /// </summary>
    /// <param name="message">The request as it will be sent.</param>
    /// <param name="components">Covered components, in order: derived (<c>@method</c>, …) or lowercase header names.</param>
    /// <param name="created">The <c>created</c> parameter.</param>
    /// <param name="label">The signature label in both headers.</param>
    /// <returns>The values of the <c>Signature-Input</c> and <c>Signature</c> headers.</returns>
    /// <exception cref="InvalidOperationException">A covered component is absent from the message.</exception>
    public MessageSignature Sign(HttpMessageComponents message, IReadOnlyList<string> components, DateTimeOffset created, string label = "sig1")
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentException.ThrowIfNullOrEmpty(label);
        foreach (var c in components)
        {
            if (c.Length == 0 || (c[0] == '@' ? !HttpMessageComponents.IsSupportedDerived(c) : c.Any(char.IsAsciiLetterUpper)))
            {
                throw new ArgumentException($"'{c}' is not a supported derived component or a lowercase field name.", nameof(components));
            }
        }

        var parameters = new SignatureParameters(components, created.ToUnixTimeSeconds(), null, KeyId, null, null, null);
        var serialized = parameters.Serialize();
        if (!parameters.TryBuildBase(message, serialized, out var signatureBase, out var missing))
        {
            throw new InvalidOperationException($"The message has no usable '{missing}' to sign.");
        }

        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(signatureBase));
        return new MessageSignature(
            $"{label}={serialized}",
            $"{label}=:{Convert.ToBase64String(mac)}:",
            signatureBase);
    }
}
