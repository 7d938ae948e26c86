namespace Gateway.Pipeline;

/// <summary>Reads a whole body that must fit in memory (admin JSON, a body to be signed), refusing one over a limit.</summary>
internal static class BoundedBody
{
    /// <summary>The body's bytes, or null as soon as it proves longer than <paramref name="limit"/> (the rest is not read).</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
