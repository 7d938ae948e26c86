using System.Text;
using Gateway.Adapters;

namespace Gateway.Funnel;

/// <summary>
/// What a queued Funnel message keeps in the spool: the group (whose destination it goes to at delivery), the device's
/// IMSI and resource (for a per-SIM credential set and the error log), and the outgoing message as written at arrival
/// (envelope, target, key, attributes, content type, arrival time). The message ID is the spool record's.
/// </summary>
internal sealed record FunnelSpoolEntry(
    string GroupId, string Imsi, string ResourceType, string ResourceId, string SourceProtocol, string? Target, string? Key, string ContentType,
    long TimestampMs, IReadOnlyList<KeyValuePair<string, string>> Attributes, ReadOnlyMemory<byte> Body)
{
    private const byte Version = 1;

    public byte[] Serialize()
    {
        using var stream = new MemoryStream(Body.Length + 256);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(GroupId);
            w.Write(Imsi);
            w.Write(ResourceType);
            w.Write(ResourceId);
            w.Write(SourceProtocol);
            WriteOptional(w, Target);
            WriteOptional(w, Key);
            w.Write(ContentType);
            w.Write(TimestampMs);
            w.Write7BitEncodedInt(Attributes.Count);
            foreach (var (name, value) in Attributes)
            {
                w.Write(name);
                w.Write(value);
            }

            w.Write7BitEncodedInt(Body.Length);
            w.Write(Body.Span);
        }

        return stream.ToArray();
    }

    /// <summary>The entry, or null when the bytes are not one this version wrote.</summary>
    public static FunnelSpoolEntry? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            if (r.ReadByte() != Version)
            {
                return null;
            }

            var (group, imsi, type, id, protocol) = (r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString());
            var (target, key, contentType, timestamp) = (ReadOptional(r), ReadOptional(r), r.ReadString(), r.ReadInt64());
            var count = r.Read7BitEncodedInt();
            var attributes = new List<KeyValuePair<string, string>>(count);
            for (var i = 0; i < count; i++)
            {
                attributes.Add(new(r.ReadString(), r.ReadString()));
            }

            var body = r.ReadBytes(r.Read7BitEncodedInt());
            return new FunnelSpoolEntry(group, imsi, type, id, protocol, target, key, contentType, timestamp, attributes, body);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return null;
        }
    }

    public OutgoingMessage ToMessage(ReadOnlyMemory<byte> body, string messageId) => new()
    {
        Body = body,
        Target = Target,
        Key = Key,
        Attributes = Attributes,
        ContentType = ContentType,
        MessageId = messageId,
        TimestampMs = TimestampMs,
    };

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
