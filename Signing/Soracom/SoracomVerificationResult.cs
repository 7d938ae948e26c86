namespace Gateway.Signing.Soracom;

/// <summary>The outcome of verifying one request or TCP first line.</summary>
public sealed class SoracomVerificationResult
{
    private SoracomVerificationResult(SignatureFailure failure, string reason, SoracomIdentity? identity, long timestampMs, int keyIndex)
    {
        Failure = failure;
        Reason = reason;
        Identity = identity;
        TimestampMs = timestampMs;
        KeyIndex = keyIndex;
    }

    /// <summary>Whether the signature verified.</summary>
    public bool IsValid => Failure == SignatureFailure.None;

    /// <summary>The failure, or <see cref="SignatureFailure.None"/>.</summary>
    public SignatureFailure Failure { get; }

    /// <summary>A short, precise sentence for logs and 401 bodies: <c>ok</c> when valid. Never contains a key.</summary>
    public string Reason { get; }

    /// <summary>The verified identity; null unless <see cref="IsValid"/>.</summary>
    public SoracomIdentity? Identity { get; }

    /// <summary>The signed timestamp in Unix milliseconds; 0 unless <see cref="IsValid"/>.</summary>
    public long TimestampMs { get; }

    /// <summary>Which configured key matched (its position), so key rotation can be watched; -1 unless valid.</summary>
    public int KeyIndex { get; }

    internal static SoracomVerificationResult Ok(SoracomIdentity identity, long timestampMs, int keyIndex) =>
        new(SignatureFailure.None, "ok", identity, timestampMs, keyIndex);

    internal static SoracomVerificationResult Fail(SignatureFailure failure, string reason) =>
        new(failure, reason, null, 0, -1);

    /// <inheritdoc />
    public override string ToString() => Reason;
}
