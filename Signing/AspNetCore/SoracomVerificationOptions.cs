using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Signing.AspNetCore;

/// <summary>Settings of the verification middleware.</summary>
public sealed class SoracomVerificationOptions
{
    /// <summary>SORACOM <c>20151001</c> verification: keys, clock skew, replay protection.</summary>
    public SoracomVerifierOptions Soracom { get; } = new();

    /// <summary>
    /// Also require a valid RFC 9421 signature (and a matching <c>Content-Digest</c>), which covers the method,
    /// URI and body that SORACOM's signature leaves open. Default off.
    /// </summary>
    public bool RequireMessageSignature { get; set; }

    /// <summary>RFC 9421 verification settings, used when <see cref="RequireMessageSignature"/> is on.</summary>
    public MessageSignatureVerifierOptions MessageSignatures { get; } = new();

    /// <summary>
    /// The largest body the middleware reads to check <c>Content-Digest</c>; larger bodies get 413. Default 1 MiB.
    /// </summary>
    public long MaxDigestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Every problem with these settings, each naming the setting; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = Soracom.Validate().Select(static e => "Soracom." + e).ToList();
        if (RequireMessageSignature)
        {
            errors.AddRange(MessageSignatures.Validate().Select(static e => "MessageSignatures." + e));
        }

        if (MaxDigestBodyBytes < 0)
        {
            errors.Add($"MaxDigestBodyBytes: may not be negative (was {MaxDigestBodyBytes}).");
        }

        return errors;
    }
}
