using System.Text;
using Gateway.Spool;

namespace Gateway.Harvest;

/// <summary>
/// Writes queued Harvest entries from the spool through the same batching <see cref="HarvestWriter"/> as synchronous
/// ones. A full write queue or a store that fails (PostgreSQL down) is retried by the <see cref="SpoolPump"/>. A
/// redelivered entry is harmless: a second write at the same time for the same resource replaces the first.
/// </summary>
internal sealed partial class HarvestSpoolConsumer(HarvestWriter writer, ILogger<HarvestSpoolConsumer> logger) : ISpoolConsumer
{
    private const byte Version = 1;

    public static byte[] Serialize(HarvestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var stream = new MemoryStream(entry.Content.Length + 64);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(entry.ResourceType);
            w.Write(entry.ResourceId);
            w.Write(entry.Time);
            w.Write(entry.ContentType);
            w.Write(entry.Content);
        }

        return stream.ToArray();
    }

    public static HarvestEntry? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            return r.ReadByte() != Version ? null : new HarvestEntry(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadString(), r.ReadString());
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return null;
        }
    }

    public async ValueTask<SpoolOutcome> DeliverAsync(SpoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Deserialize(record.Payload) is not { } entry)
        {
            LogUnreadable(logger, record.Id);
            return SpoolOutcome.Permanent;
        }

        if (writer.TryEnqueue([entry]) is not { } stored)
        {
            return SpoolOutcome.Retry;
        }

        await stored.WaitAsync(cancellationToken);
        return SpoolOutcome.Delivered;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Harvest spool: entry {MessageId} cannot be read back; dropped")]
    private static partial void LogUnreadable(ILogger logger, Guid messageId);
}
