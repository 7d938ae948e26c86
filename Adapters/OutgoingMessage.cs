namespace Gateway.Adapters;

/// <summary>One record for a destination: the bytes to deliver and what the destination keys or labels it by.</summary>
public sealed class OutgoingMessage
{
    /// <summary>The bytes: the Funnel envelope JSON, only its <c>payloads</c>, or the device's raw bytes, as the destination asks.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The target with <c>#{imsi}</c> replaced (topic, stream, URL), or null for the destination's own <see cref="FunnelDestination.ResourceUrl"/>.</summary>
    public string? Target { get; init; }

    /// <summary>The partition or message key: the IMSI by default; null for none.</summary>
    public string? Key { get; init; }

    /// <summary>The message's identity as headers, attributes or application properties (<c>imsi</c>, <c>imei</c>, <c>simId</c>, …). Never secrets.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes { get; init; } = [];

    /// <summary>The media type of <see cref="Body"/> (<c>application/json</c> unless raw bytes are sent).</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>The gateway's ID for this message, unique per message; consumers can drop duplicates by it.</summary>
    public required string MessageId { get; init; }

    /// <summary>Unix milliseconds when the device's message arrived.</summary>
    public long TimestampMs { get; init; }
}
