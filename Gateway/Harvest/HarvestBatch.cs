using System.Text;
using System.Text.Json;

namespace Gateway.Harvest;

/// <summary>
/// A group's batch write (<c>"batch": {"enabled": true, "pointer": "/items"}</c>; the key names are our choice, spec
/// Q13): the JSON array at <see cref="Pointer"/> (blank: the whole message) becomes one entry per element, its JSON
/// text, at the time the group's <c>customTimestamp</c> reads from that element. SORACOM documents at most 100
/// elements per send, each counting as a write and each needing its own time (spec §4.1). The message is taken whole
/// or refused whole: one bad element refuses all of them, naming the element by its JSON pointer.
/// </summary>
internal sealed class HarvestBatch(string pointer)
{
    public const int MaxItems = 100;

    public string Pointer { get; } = pointer;

    /// <summary>
    /// The entries of one message, or null with <paramref name="status"/> (400 or 413) and <paramref name="problem"/>.
    /// <paramref name="template"/> carries the resource and category; its time and content are replaced per element.
    /// </summary>
    public HarvestEntry[]? Split(JsonElement root, HarvestTimestamp timestamp, HarvestEntry template, int maxEntryBytes, out int status, out string? problem)
    {
        status = 400;
        var where = Pointer.Length == 0 ? "the message" : Pointer;
        if (!HarvestTimestamp.TryResolve(root, Pointer, out var array))
        {
            problem = $"batch: {Pointer} is not in the message";
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            problem = $"batch: {where} is not a JSON array";
            return null;
        }

        var count = array.GetArrayLength();
        if (count == 0)
        {
            problem = $"batch: {where} is an empty array; nothing to store";
            return null;
        }

        if (count > MaxItems)
        {
            status = 413;
            problem = $"Too many elements: a batch write stores at most {MaxItems} entries (got {count})";
            return null;
        }

        var entries = new HarvestEntry[count];
        var i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var name = $"{Pointer}/{i}";
            var text = element.GetRawText();
            if (Encoding.UTF8.GetByteCount(text) is var size && size > maxEntryBytes)
            {
                status = 413;
                problem = $"Payload too large: batch element {name} is {size} bytes; Harvest stores at most {maxEntryBytes} bytes per entry";
                return null;
            }

            if (timestamp.Read(element, out problem, "the element") is not { } time)
            {
                problem = $"batch element {name}: {problem}";
                return null;
            }

            entries[i++] = template with { Time = time, ContentType = HarvestContent.Json, Content = text };
        }

        problem = null;
        return entries;
    }
}
