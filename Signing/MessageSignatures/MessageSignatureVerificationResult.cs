namespace Gateway.Signing.MessageSignatures;

/// <summary>The outcome of verifying an RFC 9421 signature.</summary>
public sealed class MessageSignatureVerificationResult
{
    private MessageSignatureVerificationResult(SignatureFailure failure, string reason, string? keyId, IReadOnlyList<string> components)
    {
        Failure = failure;
        Reason = reason;
        KeyId = keyId;
        Components = components;
    }

    /// <summary>Whether it verified.</summary>
    public bool IsValid => Failure == SignatureFailure.None;

    /// <summary>The failure, or <see cref="SignatureFailure.None"/>.</summary>
    public SignatureFailure Failure { get; }

    /// <summary>A short, precise reason; <c>ok</c> when valid.</summary>
    public string Reason { get; }

    /// <summary>The key ID that verified; null unless valid.</summary>
    public string? KeyId { get; }

    /// <summary>The components the verified signature covers; empty unless valid.</summary>
    public IReadOnlyList<string> Components { get; }

    internal static MessageSignatureVerificationResult Ok(string keyId, IReadOnlyList<string> components) =>
        new(SignatureFailure.None, "ok", keyId, components);

    internal static MessageSignatureVerificationResult Fail(SignatureFailure failure, string reason) =>
        new(failure, reason, null, []);

    /// <inheritdoc />
    public override string ToString() => Reason;
}
