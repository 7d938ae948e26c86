using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Beam;

/// <summary>A private CA made for the test run, a server certificate for 127.0.0.1 and a client certificate, all from it.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<(X509Certificate2 Ca, X509Certificate2 Server, X509Certificate2 Client)> s_set = new(Create);

    public static X509Certificate2 Ca => s_set.Value.Ca;

    public static X509Certificate2 Server => s_set.Value.Server;

    public static X509Certificate2 Client => s_set.Value.Client;

    public static string CaPem => Ca.ExportCertificatePem();

    public static string ClientCertPem => Client.ExportCertificatePem();

    public static string ClientKeyPem => Client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();

    /// <summary>A further client certificate from the same CA, with the given subject.</summary>
    public static X509Certificate2 IssueClient(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static (X509Certificate2, X509Certificate2, X509Certificate2) Create()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Gateway Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));

        X509Certificate2 Issue(string subject, bool server)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
                request.CertificateExtensions.Add(san.Build());
            }

            using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
            using var withKey = issued.CopyWithPrivateKey(key);
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }

        return (ca, Issue("CN=127.0.0.1", server: true), Issue("CN=gateway-client", server: false));
    }
}
