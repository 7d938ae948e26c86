using System.Security.Cryptography;

namespace Gateway.Endorse;

/// <summary>
/// One signing key: its <c>kid</c> (SORACOM's pattern, <c>v1-&lt;32 hex&gt;-x509.pem</c>, so a relying party that
/// builds the key URL from the kid needs only a different base URL), the RSA key, and the self-signed certificate
/// published under the kid for verifiers that read an X.509 PEM rather than a JWKS.
/// </summary>
internal sealed record EndorseKey(string Kid, RSA Rsa, string CertificatePem);
