using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Beam;

/// <summary>
/// How an entry talks TLS to its destination beyond the defaults: extra trusted roots (a private CA, which
/// SORACOM Beam cannot do) on top of the system store, and a client certificate for mutual TLS.
/// </summary>
internal sealed class UpstreamTls
{
    private UpstreamTls(X509Certificate2Collection roots, X509Certificate2? clientCertificate, string key)
    {
        Roots = roots;
        ClientCertificate = clientCertificate;
        Key = key;
    }

    public X509Certificate2Collection Roots { get; }

    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Identifies the combination, so entries that share it share one connection pool.</summary>
    public string Key { get; }

    /// <summary>Builds the profile from PEM text; null when neither part is given.</summary>
    /// <exception cref="CryptographicException">A PEM does not hold a usable certificate or key.</exception>
    public static UpstreamTls? Create(string? caPem, string? clientCertPem, string? clientKeyPem)
    {
        if (caPem is null && clientCertPem is null)
        {
            return null;
        }

        var roots = new X509Certificate2Collection();
        if (caPem is not null)
        {
            roots.ImportFromPem(caPem);
        }

        X509Certificate2? client = null;
        if (clientCertPem is not null && clientKeyPem is not null)
        {
            using var ephemeral = X509Certificate2.CreateFromPem(clientCertPem, clientKeyPem);

            // Round-trip through PKCS#12 so the key is usable by the TLS stack on every platform.
            client = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        var key = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{caPem}\0{clientCertPem}")));
        return new UpstreamTls(roots, client, key);
    }

    /// <summary>Accepts what the system store accepts, and chains that end at one of <see cref="Roots"/>.</summary>
    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || Roots.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public void Apply(SslClientAuthenticationOptions options)
    {
        options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Validate(certificate, errors);
        if (ClientCertificate is not null)
        {
            options.ClientCertificates = [ClientCertificate];
        }
    }
}
