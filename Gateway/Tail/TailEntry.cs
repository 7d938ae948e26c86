namespace Gateway.Tail;

/// <summary>
/// One message as the live tail shows it: when and how it came, its size and the first bytes of it (a copy: the
/// pipeline's buffer goes back to its pool), the binary parser's JSON when there was one (first bytes too), and what
/// each service made of it.
/// </summary>
internal sealed record TailEntry(
    long TimeMs, string EntryPoint, string Protocol, int Size, byte[] Preview, byte[]? ParsedPreview, int ParsedSize, string? Topic, string? ContentType)
{
    /// <summary>Its place in the subscriber's tail; the cursor a reader passes back as <c>after</c>.</summary>
    public long Sequence { get; set; }

    public IReadOnlyList<TailResult> Results { get; set; } = [];
}
