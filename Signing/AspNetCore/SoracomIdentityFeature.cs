namespace Gateway.Signing.AspNetCore;

internal sealed record SoracomIdentityFeature(SoracomIdentity Identity, long TimestampMs, string? MessageSignatureKeyId) : ISoracomIdentityFeature;
