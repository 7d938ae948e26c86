namespace Gateway.Signing.AspNetCore;

/// <summary>The identity a request proved with its SORACOM signature, set on <c>HttpContext.Features</c>.</summary>
public interface ISoracomIdentityFeature
{
    /// <summary>The verified identifiers.</summary>
    SoracomIdentity Identity { get; }

    /// <summary>The signed timestamp, Unix milliseconds.</summary>
    long TimestampMs { get; }

    /// <summary>The key ID of the RFC 9421 signature that also verified, or null when none was required.</summary>
    string? MessageSignatureKeyId { get; }
}
