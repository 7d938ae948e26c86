using System.Net;
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
    private static readonly JsonReaderOptions s_options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = StrictJson.MaxDepth };

    public static bool TryRead(ReadOnlySpan<byte> utf8, Func<string, bool> groupExists, out Subscriber? subscriber)
    {
        subscriber = null;
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return false;
        }

        try
        {
            return TryReadCore(utf8, groupExists, out subscriber);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static bool TryReadCore(ReadOnlySpan<byte> utf8, Func<string, bool> groupExists, out Subscriber? subscriber)
    {
        subscriber = null;
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, new JsonReaderState(s_options));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        string? imsi = null, imei = null, msisdn = null, simId = null, groupId = null, status = null, imeiLock = null, ip = null;
        Dictionary<string, string>? tags = null;
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

            var value = reader.GetString()!;
            switch (field)
            {
                case 0: imsi = value; break;
                case 1: imei = value; break;
                case 2: msisdn = value; break;
                case 3: simId = value; break;
                case 4: groupId = value; break;
                case 5: status = value; break;
                case 6: ip = value; break;
                case 7: imeiLock = value; break;
                default: return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return false;
        }

        if (imsi is null || !IsDigits(imsi, 6, 15)
            || (imei is not null && !IsDigits(imei, 14, 16))
            || (msisdn is not null && !IsDigits(msisdn.TrimStart('+'), 1, 15))
            || (simId is not null && (simId.Length is 0 or > 32 || !simId.All(char.IsAsciiLetterOrDigit)))
            || (groupId is not null && !groupExists(groupId))
            || (status is not null && !RegistryParser.IsStatus(status))
            || (imeiLock is not null && !IsDigits(imeiLock.EndsWith("|ANONYMOUS", StringComparison.Ordinal) ? imeiLock[..^10] : imeiLock, 14, 16)))
        {
            return false;
        }

        var address = ip is null ? null : CanonicalAddress(ip);
        if (ip is not null && address is null)
        {
            return false;
        }

        subscriber = new Subscriber
        {
            Imsi = imsi,
            Imei = imei,
            Msisdn = msisdn,
            SimId = simId,
            GroupId = groupId is null ? null : Shared(groupId),
            Status = status is null ? "active" : Shared(status),
            ImeiLock = imeiLock,
            IpAddress = address,
            Tags = SubscriberTags.Of(tags),
        };
        return true;
    }

    /// <summary>
    /// The address as the parser normalises it (<c>IPAddress.Parse(ip).ToString()</c>), reusing the given string when
    /// it already is that: most are, and a million SIMs then keep one string each instead of two made.
    /// </summary>
    private static string? CanonicalAddress(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address))
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
            if (!reader.ValueSpan.SequenceEqual("imei"u8) || reader.ValueIsEscaped || imeiLock is not null || !reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
            {
                return false;
            }

            imeiLock = reader.GetString();
        }

        return reader.TokenType == JsonTokenType.EndObject && imeiLock is not null;
    }

    private static bool TryReadTags(ref Utf8JsonReader reader, out Dictionary<string, string>? tags)
    {
        tags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return false;
            }

            var name = Shared(reader.GetString()!);
            if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !tags.TryAdd(name, reader.GetString()!))
            {
                return false;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject;
    }

    private static bool IsDigits(string value, int min, int max) =>
        value.Length >= min && value.Length <= max && value.All(char.IsAsciiDigit);
}
