namespace Gateway.Signing.Soracom;

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

    /// <summary>A header is repeated, the signature is not 64 hex characters, or the TCP line cannot be parsed.</summary>
    Malformed,
}
