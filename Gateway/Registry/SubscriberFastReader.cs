using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.Registry;

/// <summary>
/// Reads a subscriber in the shape the gateway itself writes (string fields, string tags) straight from UTF-8,
/// without building a JSON tree: loading a million SIMs from a seed file or the store is mostly this. It accepts
/// only what <see cref="RegistryParser"/> accepts, to the same <see cref="Subscriber"/>; anything else (an error,
/// an escape, an unknown or repeated field, a list) returns false and the caller takes the full parser, which
/// gives the errors, with their paths, exactly as before.
/// </summary>
internal static class SubscriberFastReader
{
    /// <summary>How many distinct shared values are kept at most (tag names and group IDs are few; this bounds a store that is not).</summary>
    private const int MaxShared = 10_000;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_shared = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_sharedLookup = s_shared.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly SearchValues<byte> s_letterOrDigit = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
    private static readonly JsonReaderOptions s_options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = StrictJson.MaxDepth };

    /// <param name="groupIds">The group IDs that exist (ordinal); a SIM keeps the set's own instance of its group's ID.</param>
    /// <param name="addressKey">The index key of <see cref="Subscriber.IpAddress"/> when it has one, so the index need not parse it again.</param>
    public static bool TryRead(ReadOnlySpan<byte> utf8, HashSet<string> groupIds, out Subscriber? subscriber, out UInt128 addressKey)
    {
        subscriber = null;
        addressKey = default;
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return false;
        }

        try
        {
            return TryReadCore(utf8, groupIds, out subscriber, out addressKey);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    public static bool TryRead(ReadOnlySpan<byte> utf8, HashSet<string> groupIds, out Subscriber? subscriber) =>
        TryRead(utf8, groupIds, out subscriber, out _);

    /// <summary>
    /// One pass over the object. Values are checked as the bytes they are (no escapes are taken, so the bytes are the
    /// text), and a string is made only for what the SIM keeps: its own fields; group IDs, statuses and tag names are
    /// looked up without making one. At a million SIMs every transient object here is a million more for the collector.
    /// </summary>
    private static bool TryReadCore(ReadOnlySpan<byte> utf8, HashSet<string> groupIds, out Subscriber? subscriber, out UInt128 addressKey)
    {
        subscriber = null;
        addressKey = default;
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, new JsonReaderState(s_options));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        string? imsi = null, imei = null, msisdn = null, simId = null, groupId = null, status = null, imeiLock = null, ip = null;
        IReadOnlyDictionary<string, string>? tags = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return false;
            }

            var field = Field(reader.ValueSpan);
            if (field < 0 || (seen & (1 << field)) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= 1 << field;
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            switch (field)
            {
                case 7 when reader.TokenType == JsonTokenType.StartObject:
                    if (!TryReadImeiLock(ref reader, out imeiLock))
                    {
                        return false;
                    }

                    continue;
                case 8 when reader.TokenType == JsonTokenType.StartObject:
                    if (!TryReadTags(ref reader, out tags))
                    {
                        return false;
                    }

                    continue;
                default:
                    break;
            }

            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
            {
                return false;
            }

            var value = reader.ValueSpan;
            var ok = field switch
            {
                0 => Digits(value, 6, 15, out imsi),
                1 => Digits(value, 14, 16, out imei),
                2 => IsDigits(value.TrimStart((byte)'+'), 1, 15) && Text(value, out msisdn),
                3 => value.Length is > 0 and <= 32 && !value.ContainsAnyExcept(s_letterOrDigit) && Text(value, out simId),
                4 => TryGetGroup(value, groupIds, out groupId),
                5 => TryGetStatus(value, out status),
                6 => TryReadAddress(value, out ip, out addressKey),
                7 => IsImeiLock(value) && Text(value, out imeiLock),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || imsi is null)
        {
            return false;
        }

        subscriber = new Subscriber
        {
            Imsi = imsi,
            Imei = imei,
            Msisdn = msisdn,
            SimId = simId,
            GroupId = groupId,
            Status = status ?? "active",
            ImeiLock = imeiLock,
            IpAddress = ip,
            Tags = tags ?? SubscriberTags.None,
        };
        return true;
    }

    private static bool Text(ReadOnlySpan<byte> utf8, out string text)
    {
        text = Encoding.UTF8.GetString(utf8);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> utf8, int min, int max, out string? text)
    {
        text = IsDigits(utf8, min, max) ? Encoding.ASCII.GetString(utf8) : null;
        return text is not null;
    }

    /// <summary>An IMEI, optionally followed by <c>|ANONYMOUS</c>, as the parser accepts it.</summary>
    private static bool IsImeiLock(ReadOnlySpan<byte> utf8) =>
        IsDigits(utf8.EndsWith("|ANONYMOUS"u8) ? utf8[..^10] : utf8, 14, 16);

    /// <summary>The set's own instance of an existing group's ID (looked up by its characters, no string made).</summary>
    private static bool TryGetGroup(ReadOnlySpan<byte> utf8, HashSet<string> groupIds, out string? groupId)
    {
        Span<char> chars = stackalloc char[128];
        if (utf8.Length <= chars.Length && groupIds.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            var written = Encoding.UTF8.GetChars(utf8, chars);
            return lookup.TryGetValue(chars[..written], out groupId);
        }

        groupId = Encoding.UTF8.GetString(utf8);
        return groupIds.TryGetValue(groupId, out groupId);
    }

    private static bool TryGetStatus(ReadOnlySpan<byte> utf8, out string? status)
    {
        status = utf8.SequenceEqual("active"u8) ? "active" : Shared(utf8);
        return RegistryParser.IsStatus(status);
    }

    /// <summary>
    /// A static address as the parser normalises it (<c>IPAddress.Parse(ip).ToString()</c>) and its index key. A
    /// plain dotted quad, which is what nearly every SIM has, is read from the bytes: it already is its canonical
    /// form. Anything else goes through <see cref="IPAddress.TryParse(string, out IPAddress)"/>.
    /// </summary>
    private static bool TryReadAddress(ReadOnlySpan<byte> utf8, out string? ip, out UInt128 key)
    {
        if (TryReadDottedQuad(utf8, out var v4))
        {
            ip = Encoding.ASCII.GetString(utf8);
            key = ((UInt128)0xffff << 32) | v4;
            return true;
        }

        ip = CanonicalAddress(Encoding.UTF8.GetString(utf8), out var address);
        key = address is null ? default : RegistrySnapshot.Key(address);
        return ip is not null;
    }

    /// <summary>Four decimal numbers of 0 to 255 without leading zeros, joined by dots: an IPv4 address in its canonical text.</summary>
    internal static bool TryReadDottedQuad(ReadOnlySpan<byte> utf8, out uint address)
    {
        address = 0;
        var parts = 0;
        var i = 0;
        while (parts < 4)
        {
            var start = i;
            uint part = 0;
            while (i < utf8.Length && i - start < 3 && char.IsAsciiDigit((char)utf8[i]))
            {
                part = (part * 10) + (uint)(utf8[i++] - '0');
            }

            var digits = i - start;
            if (digits == 0 || part > 255 || (digits > 1 && utf8[start] == '0'))
            {
                return false;
            }

            address = (address << 8) | part;
            if (++parts < 4 && (i >= utf8.Length || utf8[i++] != '.'))
            {
                return false;
            }
        }

        return i == utf8.Length;
    }

    /// <summary>
    /// The address as the parser normalises it (<c>IPAddress.Parse(ip).ToString()</c>), reusing the given string when
    /// it already is that: most are, and a million SIMs then keep one string each instead of two made.
    /// </summary>
    private static string? CanonicalAddress(string ip, out IPAddress? address)
    {
        if (!IPAddress.TryParse(ip, out address))
        {
            return null;
        }

        Span<char> text = stackalloc char[64];
        return address.TryFormat(text, out var written) && text[..written].SequenceEqual(ip) ? ip : address.ToString();
    }

    /// <summary>
    /// One string instance for values many SIMs share (group IDs, statuses, tag names): kept for as long as the
    /// registry is, a copy per SIM would be a million small objects for the collector to trace.
    /// </summary>
    internal static string Shared(string value) =>
        value.Length > 64 ? value
        : s_shared.TryGetValue(value, out var shared) ? shared
        : s_shared.Count < MaxShared ? s_shared.GetOrAdd(value, value)
        : value;

    /// <summary><see cref="Shared(string)"/> of UTF-8 text: a value already shared is found without making a string.</summary>
    private static string Shared(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[64];
        if (utf8.Length <= chars.Length)
        {
            var written = Encoding.UTF8.GetChars(utf8, chars);
            if (s_sharedLookup.TryGetValue(chars[..written], out var shared))
            {
                return shared;
            }
        }

        return Shared(Encoding.UTF8.GetString(utf8));
    }

    /// <summary>The fields read here, by index; -1 for any other (the full parser decides about those).</summary>
    private static int Field(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("imsi"u8) => 0,
        _ when name.SequenceEqual("imei"u8) => 1,
        _ when name.SequenceEqual("msisdn"u8) => 2,
        _ when name.SequenceEqual("simId"u8) => 3,
        _ when name.SequenceEqual("groupId"u8) => 4,
        _ when name.SequenceEqual("status"u8) => 5,
        _ when name.SequenceEqual("ipAddress"u8) => 6,
        _ when name.SequenceEqual("imeiLock"u8) => 7,
        _ when name.SequenceEqual("tags"u8) => 8,
        _ => -1,
    };

    private static bool TryReadImeiLock(ref Utf8JsonReader reader, out string? imeiLock)
    {
        imeiLock = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueSpan.SequenceEqual("imei"u8) || reader.ValueIsEscaped || imeiLock is not null || !reader.Read()
                || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !IsImeiLock(reader.ValueSpan))
            {
                return false;
            }

            imeiLock = Encoding.UTF8.GetString(reader.ValueSpan);
        }

        return reader.TokenType == JsonTokenType.EndObject && imeiLock is not null;
    }

    /// <summary>
    /// The tags, compact (<see cref="SubscriberTags"/>): a single tag, the usual case, is read without the dictionary
    /// a second one needs to find a repeated name.
    /// </summary>
    private static bool TryReadTags(ref Utf8JsonReader reader, out IReadOnlyDictionary<string, string>? tags)
    {
        tags = null;
        if (!TryReadTag(ref reader, out var name, out var value))
        {
            tags = SubscriberTags.None;
            return reader.TokenType == JsonTokenType.EndObject;
        }

        if (name is null)
        {
            return false;
        }

        if (!TryReadTag(ref reader, out var secondName, out var secondValue))
        {
            tags = SubscriberTags.One(name, value!);
            return reader.TokenType == JsonTokenType.EndObject;
        }

        var many = new Dictionary<string, string>(StringComparer.Ordinal) { [name] = value! };
        while (secondName is not null)
        {
            if (!many.TryAdd(secondName, secondValue!))
            {
                return false;
            }

            if (!TryReadTag(ref reader, out secondName, out secondValue))
            {
                tags = many;
                return reader.TokenType == JsonTokenType.EndObject;
            }
        }

        return false;
    }

    /// <returns>False at the end of the tags (or a token that is no name); true with a null name for a tag not read here.</returns>
    private static bool TryReadTag(ref Utf8JsonReader reader, out string? name, out string? value)
    {
        name = value = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
        {
            return false;
        }

        if (reader.ValueIsEscaped)
        {
            return true;
        }

        var shared = Shared(reader.ValueSpan);
        if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return true;
        }

        name = shared;
        value = Encoding.UTF8.GetString(reader.ValueSpan);
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<byte> utf8, int min, int max) =>
        utf8.Length >= min && utf8.Length <= max && !utf8.ContainsAnyExceptInRange((byte)'0', (byte)'9');
}
