using System.Security.Cryptography;

namespace Gateway.Signing.MessageSignatures;

/// <summary>
/// RFC 9530 <c>Content-Digest</c>: <c>sha-256=:&lt;base64&gt;:</c> over the message content, so that a signature
/// covering this header covers the body too.
/// </summary>
public static class ContentDigest
{
    /// <summary>The header name.</summary>
    public const string HeaderName = "Content-Digest";

    /// <summary>The header value for a body, with SHA-256.</summary>
    public static string Compute(ReadOnlySpan<byte> content) => FromSha256(SHA256.HashData(content));

    /// <summary>The header value from a SHA-256 digest already computed while the body streamed past.</summary>
    public static string FromSha256(ReadOnlySpan<byte> sha256) => $"sha-256=:{Convert.ToBase64String(sha256)}:";

    /// <summary>
    /// Checks a received <c>Content-Digest</c> against the body's digests. Every <c>sha-256</c> and <c>sha-512</c>
    /// member present must match; other algorithms are ignored; at least one supported member must be present.
    /// </summary>
    /// <param name="headerValue">The received header value.</param>
    /// <param name="sha256">SHA-256 of the body.</param>
    /// <param name="sha512">SHA-512 of the body, or empty when the caller did not compute it (then a sha-512 member fails).</param>
    /// <param name="reason">Why it failed; null on success.</param>
    public static bool Verify(string headerValue, ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> sha512, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(headerValue);
        if (!StructuredFieldParser.TryParseDictionary(headerValue, out var members, out var error))
        {
            reason = $"Content-Digest is not a structured dictionary: {error}";
            return false;
        }

        var checkedAny = false;
        foreach (var member in members)
        {
            var expected = member.Key switch
            {
                "sha-256" => sha256,
                "sha-512" => sha512,
                _ => default,
            };
            if (member.Key is not ("sha-256" or "sha-512"))
            {
                continue;
            }

            if (member.Item is not byte[] received)
            {
                reason = $"Content-Digest member {member.Key} is not a byte sequence";
                return false;
            }

            if (expected.IsEmpty || !CryptographicOperations.FixedTimeEquals(received, expected))
            {
                reason = $"Content-Digest {member.Key} does not match the body";
                return false;
            }

            checkedAny = true;
        }

        reason = checkedAny ? null : "Content-Digest has no sha-256 or sha-512 member";
        return checkedAny;
    }

    /// <summary>Whether a received header asks for a SHA-512 check (so the caller knows to compute it).</summary>
    public static bool UsesSha512(string headerValue) =>
        headerValue is not null && headerValue.Contains("sha-512", StringComparison.Ordinal);
}
