namespace Gateway.Signing;

/// <summary>Why a signature did not verify.</summary>
public enum SignatureFailure
{
    /// <summary>It verified.</summary>
    None = 0,

    /// <summary>A required header (or part of the TCP first line) is absent, or no identifier was sent.</summary>
    MissingHeader,

    /// <summary>The signature version is not one this verifier knows.</summary>
    UnknownVersion,

    /// <summary>The timestamp is not a decimal number of milliseconds.</summary>
    MalformedTimestamp,

    /// <summary>The timestamp is further from the verifier's clock than the allowed skew.</summary>
    StaleTimestamp,

    /// <summary>The same signature was already accepted inside the replay window.</summary>
    Replayed,

    /// <summary>No configured key produces the received signature.</summary>
    Mismatch,

    /// <summary>A header is repeated, a signature or structured field cannot be parsed, or the TCP line cannot be parsed.</summary>
    Malformed,

    /// <summary>RFC 9421: the signature names a key ID this verifier does not hold.</summary>
    UnknownKey,

    /// <summary>RFC 9421: the signature does not cover a component the verifier requires, or a covered component is absent from the message.</summary>
    MissingComponent,

    /// <summary>RFC 9421: the <c>alg</c> parameter names an algorithm other than <c>hmac-sha256</c>.</summary>
    UnsupportedAlgorithm,

    /// <summary>RFC 9530: the body does not hash to the <c>Content-Digest</c> header, or the header has no supported algorithm.</summary>
    DigestMismatch,
}
