using System.Buffers;

namespace Gateway.Pipeline;

/// <summary>Reads a whole body that must fit in memory (admin JSON, a body to be signed), refusing one over a limit.</summary>
internal static class BoundedBody
{
    public const int ExactUpTo = 64 * 1024;

    /// <summary>
    /// The body's bytes, or null as soon as it proves longer than <paramref name="limit"/> (the rest is not read).
    /// With the declared <paramref name="contentLength"/> (which the server enforces) the bytes are read straight into
    /// an array of that size: one allocation per message instead of a 16 KiB buffer, a growing stream and a copy.
    /// Only up to <see cref="ExactUpTo"/>: a larger declared length is not allocated before its bytes arrive, or a slow
    /// device could make the gateway hold megabytes it never sends.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken, long? contentLength = null)
    {
        if (contentLength > limit)
        {
            return null;
        }

        if (contentLength is { } length and <= ExactUpTo)
        {
            var exact = new byte[length];
            var read = await body.ReadAtLeastAsync(exact, exact.Length, throwOnEndOfStream: false, cancellationToken);
            return read == exact.Length ? exact : exact[..read];
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + n > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }
}
