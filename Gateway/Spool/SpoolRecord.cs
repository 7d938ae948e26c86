namespace Gateway.Spool;

/// <summary>A spooled message handed to the consumer; give it back with <see cref="DurableSpool.Complete"/>.</summary>
internal sealed class SpoolRecord(Segment segment, long offset, Guid id, long timestampMs, ReadOnlyMemory<byte> payload)
{
    internal Segment Segment { get; } = segment;

    internal long Offset { get; } = offset;

    /// <summary>The message's ID, the same on every redelivery (what consumers drop duplicates by).</summary>
    public Guid Id { get; } = id;

    /// <summary>When it was spooled, Unix ms.</summary>
    public long TimestampMs { get; } = timestampMs;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>Delivery attempts so far, for the backoff.</summary>
    public int Attempts { get; set; }
}
