using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Registry.Stores;

namespace Gateway.Endorse;

/// <summary>
/// The Endorse signing keys, in <c>endorse/</c> under the data directory (owner-only, like the rest of it): for each
/// key <c>&lt;kid&gt;.key</c> (the RSA-2048 private key, PKCS#8 PEM, mode 0600) and <c>&lt;kid&gt;</c> (its certificate,
/// PEM, named exactly as it is served), and <c>current</c> naming the key that signs. Generated once, at the first
/// start, and reused after: a key that changed at every restart would invalidate every token a backend holds.
/// Rotation (<see cref="Rotate"/>) adds a key and makes it current; the old ones stay and stay published, so tokens
/// they signed verify until they expire — removing an old key's two files retires it.
/// </summary>
internal sealed class EndorseKeyStore
{
    public const string FolderName = "endorse";

    private const string CurrentFile = "current";

    private const string KeySuffix = ".key";

    private EndorseKeyStore(EndorseKey current, IReadOnlyList<EndorseKey> all)
    {
        Current = current;
        All = all;
    }

    public EndorseKey Current { get; }

    /// <summary>Every key still published, the current one included.</summary>
    public IReadOnlyList<EndorseKey> All { get; }

    /// <summary>The keys in <paramref name="dataDirectory"/>, creating the first one if there is none.</summary>
    public static EndorseKeyStore LoadOrCreate(string dataDirectory, TimeProvider time)
    {
        var folder = Path.Combine(dataDirectory, FolderName);
        OwnerOnlyFiles.EnsureDirectory(folder);
        if (!File.Exists(Path.Combine(folder, CurrentFile)))
        {
            Create(folder, time);
        }

        return Load(folder);
    }

    /// <summary>Adds a new key and makes it the current one; returns its kid. The running gateway uses it from its next start.</summary>
    public static string Rotate(string dataDirectory, TimeProvider time)
    {
        var folder = Path.Combine(dataDirectory, FolderName);
        OwnerOnlyFiles.EnsureDirectory(folder);
        return Create(folder, time);
    }

    private static string Create(string folder, TimeProvider time)
    {
        using var rsa = RSA.Create(2048);
        var kid = $"v1-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-x509.pem";
        var now = time.GetUtcNow();
        var request = new CertificateRequest($"CN=gateway-endorse, OU={kid}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));

        // The private key is written first and the current pointer last, so a crash in between leaves the old key current.
        WriteNew(Path.Combine(folder, kid + KeySuffix), rsa.ExportPkcs8PrivateKeyPem());
        WriteNew(Path.Combine(folder, kid), certificate.ExportCertificatePem());
        var pointer = Path.Combine(folder, CurrentFile + ".tmp");
        File.Delete(pointer);
        WriteNew(pointer, kid);
        File.Move(pointer, Path.Combine(folder, CurrentFile), overwrite: true);
        return kid;
    }

    private static EndorseKeyStore Load(string folder)
    {
        var currentKid = File.ReadAllText(Path.Combine(folder, CurrentFile)).Trim();
        var keys = new List<EndorseKey>();
        foreach (var keyFile in Directory.EnumerateFiles(folder, "*" + KeySuffix).Order(StringComparer.Ordinal))
        {
            var kid = Path.GetFileName(keyFile)[..^KeySuffix.Length];
            var certificateFile = Path.Combine(folder, kid);
            if (!File.Exists(certificateFile))
            {
                continue;
            }

            // Tightened at every start too, in case a key was restored from a backup with a wider mode.
            OwnerOnlyFiles.TightenIfPresent(keyFile);
            var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(keyFile));
            keys.Add(new EndorseKey(kid, rsa, File.ReadAllText(certificateFile)));
        }

        var current = keys.Find(k => k.Kid == currentKid)
            ?? throw new InvalidOperationException($"{Path.Combine(folder, CurrentFile)} names {currentKid}, but {currentKid}{KeySuffix} and {currentKid} are not both in {folder}");
        return new EndorseKeyStore(current, keys);
    }

    private static void WriteNew(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFiles.FileMode;
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
