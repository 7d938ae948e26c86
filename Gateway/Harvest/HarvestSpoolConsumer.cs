using System.Text;
using Gateway.Spool;

namespace Gateway.Harvest;

/// <summary>
/// Writes queued Harvest entries from the spool through the same batching <see cref="HarvestWriter"/> as synchronous
/// ones. A full write queue or a store that fails (PostgreSQL down) is retried by the <see cref="SpoolPump"/>. A
/// redelivered entry is harmless: a second write at the same time for the same resource replaces the first. One
/// spool record holds every entry of one message (a batch write), so they reach the store together or not at all.
/// </summary>
internal sealed partial class HarvestSpoolConsumer(HarvestWriter writer, ILogger<HarvestSpoolConsumer> logger) : ISpoolConsumer
{
    /// <summary>Version 1: one entry, no category (records spooled by an older gateway). Version 2: a count, then entries with a category.</summary>
    private const byte Version1 = 1;
    private const byte Version2 = 2;

    public static byte[] Serialize(IReadOnlyList<HarvestEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var stream = new MemoryStream(entries.Sum(static e => e.Content.Length + 64));
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version2);
            w.Write(entries.Count);
            foreach (var entry in entries)
            {
                w.Write(entry.ResourceType);
                w.Write(entry.ResourceId);
                w.Write(entry.Time);
                w.Write(entry.ContentType);
                w.Write(entry.Content);
                w.Write(entry.Category is not null);
                w.Write(entry.Category ?? string.Empty);
            }
        }

        return stream.ToArray();
    }

    public static HarvestEntry[]? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            switch (r.ReadByte())
            {
                case Version1:
                    return [new HarvestEntry(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadString(), r.ReadString())];
                case Version2:
                    // A count beyond any message's entries means the record is damaged, not a reason to allocate.
                    var count = r.ReadInt32();
                    if (count is < 1 or > HarvestBatch.MaxItems)
                    {
                        return null;
                    }

                    var entries = new HarvestEntry[count];
                    for (var i = 0; i < count; i++)
                    {
                        var (type, id, time, contentType, content) = (r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadString(), r.ReadString());
                        var hasCategory = r.ReadBoolean();
                        var category = r.ReadString();
                        entries[i] = new HarvestEntry(type, id, time, contentType, content, hasCategory ? category : null);
                    }

                    return entries;
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return null;
        }
    }

    public async ValueTask<SpoolOutcome> DeliverAsync(SpoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Deserialize(record.Payload) is not { } entries)
        {
            LogUnreadable(logger, record.Id);
            return SpoolOutcome.Permanent;
        }

        if (writer.TryEnqueue(entries) is not { } stored)
        {
            return SpoolOutcome.Retry;
        }

        await stored.WaitAsync(cancellationToken);
        return SpoolOutcome.Delivered;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Harvest spool: entry {MessageId} cannot be read back; dropped")]
    private static partial void LogUnreadable(ILogger logger, Guid messageId);
}
