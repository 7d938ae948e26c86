namespace Gateway.Signing.MessageSignatures;

/// <summary>The two headers an RFC 9421 signature adds, and the signature base they were computed over.</summary>
/// <param name="SignatureInput">The value of the <c>Signature-Input</c> header.</param>
/// <param name="Signature">The value of the <c>Signature</c> header.</param>
/// <param name="SignatureBase">The exact text that was signed (for debugging; not sent).</param>
public sealed record MessageSignature(string SignatureInput, string Signature, string SignatureBase);
