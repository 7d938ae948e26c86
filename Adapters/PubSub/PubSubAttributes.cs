namespace Gateway.Adapters.PubSub;

/// <summary>
/// The attributes every message carries besides its identity (<c>imsi</c>, <c>imei</c>, <c>simId</c> from
/// <see cref="OutgoingMessage.Attributes"/>): the gateway's message ID, by which consumers drop duplicates, and the
/// body's media type.
/// </summary>
internal static class PubSubAttributes
{
    public const string MessageId = "messageId", ContentType = "contentType";

    /// <summary>An upper bound on the attributes' and framing's bytes (UTF-8 at most triples a UTF-16 unit; JSON escapes aside).</summary>
    public static long SizeOf(OutgoingMessage message)
    {
        long size = 96 + ((message.MessageId.Length + message.ContentType.Length + MessageId.Length + ContentType.Length) * 3L);
        foreach (var (name, value) in message.Attributes)
            size += ((name.Length + value.Length) * 3L) + 8;
        if (message.Key is { } key)
            size += (key.Length * 3L) + 20;
        return size;
    }
}
