using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Gateway.Signing.Soracom;

/// <summary>
/// SHA-256 of a key followed by a message, the shape of every SORACOM signature, tuned for the short inputs it
/// hashes (a PSK and about 100 bytes). On Linux the platform's <c>SHA256.HashData</c> goes through OpenSSL 3's
/// EVP layer, whose per-call algorithm fetch costs more than hashing two blocks; OpenSSL's low-level
/// <c>SHA256_Init/Update/Final</c> in the same <c>libcrypto.so.3</c> the runtime already loads skip that and measured
/// about twice as fast (benchmarks/README.md). Where that library or its exports are absent (Windows, macOS, a
/// future OpenSSL without them) the BCL path is used. Both paths are checked against <see cref="SHA256"/> by tests.
/// </summary>
internal static unsafe class Sha256
{
    public const int HashSize = 32;

    // OpenSSL's SHA256_CTX is 112 bytes; a little slack costs nothing.
    private const int ContextSize = 128;
    private const int StackLimit = 512;

    private static readonly delegate* unmanaged<byte*, int> s_init;
    private static readonly delegate* unmanaged<byte*, byte*, nuint, int> s_update;
    private static readonly delegate* unmanaged<byte*, byte*, int> s_final;

#pragma warning disable CA1810 // The probe must run once, before any use; a static constructor says exactly that.
    static Sha256()
#pragma warning restore CA1810
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GATEWAY_SIGNING_BCL_SHA256") == "1"
            || !NativeLibrary.TryLoad("libcrypto.so.3", typeof(Sha256).Assembly, DllImportSearchPath.SafeDirectories, out var lib))
        {
            return;
        }

        if (NativeLibrary.TryGetExport(lib, "SHA256_Init", out var init)
            && NativeLibrary.TryGetExport(lib, "SHA256_Update", out var update)
            && NativeLibrary.TryGetExport(lib, "SHA256_Final", out var final))
        {
            s_init = (delegate* unmanaged<byte*, int>)init;
            s_update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
            s_final = (delegate* unmanaged<byte*, byte*, int>)final;
        }
    }

    /// <summary>Whether the native low-level path is in use.</summary>
    public static bool IsNative => s_init != null;

    /// <summary>Writes SHA-256(<paramref name="key"/> ‖ <paramref name="message"/>) into <paramref name="destination"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException("Destination shorter than 32 bytes.", nameof(destination));
        }

        if (IsNative)
        {
            HashNative(key, message, destination);
        }
        else
        {
            HashManaged(key, message, destination);
        }
    }

    internal static void HashNative(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        if (!IsNative)
        {
            throw new PlatformNotSupportedException("libcrypto.so.3 with SHA256_Init/Update/Final is not available.");
        }

        var context = stackalloc byte[ContextSize];
        try
        {
            fixed (byte* k = key)
            fixed (byte* m = message)
            fixed (byte* d = destination)
            {
                if (s_init(context) != 1 || s_update(context, k, (nuint)key.Length) != 1
                    || s_update(context, m, (nuint)message.Length) != 1 || s_final(d, context) != 1)
                {
                    throw new CryptographicException("OpenSSL SHA256_Init/Update/Final failed.");
                }
            }
        }
        finally
        {
            // The context holds state derived from the key.
            new Span<byte>(context, ContextSize).Clear();
        }
    }

    internal static void HashManaged(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> destination)
    {
        var total = key.Length + message.Length;
        byte[]? rented = null;
        var buffer = total <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(total));
        try
        {
            key.CopyTo(buffer);
            message.CopyTo(buffer[key.Length..]);
            SHA256.HashData(buffer[..total], destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer[..total]);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
