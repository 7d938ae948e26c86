using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// The subscriber that RADIUS auto-registration creates for an IMSI the registry does not know: its IMSI, the
/// configured group, and the IMEI and MSISDN the session reported. In an attach storm this runs thousands of times a
/// second, so the usual case is built directly: the <see cref="Subscriber"/> and the exact JSON the store keeps,
/// with the parser's own checks on the values (digits and lengths), and no JSON tree or full parse. A value those
/// checks refuse takes the ordinary path (a JSON element through <see cref="RegistryParser"/>), so the refusal reads
/// as it always did; the group's existence is checked in the edit either way.
/// </summary>
internal static class AutoRegistration
{
    /// <summary>The change that registers the SIM.</summary>
    public static RegistryChange Change(string imsi, string groupId, string? imei, string? msisdn)
    {
        if (!PassesParserChecks(imsi, imei, msisdn))
        {
            return new RegistryChange(RegistryElementKind.Subscriber, imsi, Document(imsi, groupId, imei, msisdn));
        }

        var subscriber = new Subscriber { Imsi = imsi, Imei = imei, Msisdn = msisdn, GroupId = groupId };
        return RegistryChange.Checked(subscriber, Json(imsi, groupId, imei, msisdn));
    }

    /// <summary>The element as a JSON tree, in the field order the store has always kept for it.</summary>
    public static JsonObject Document(string imsi, string groupId, string? imei, string? msisdn)
    {
        var subscriber = new JsonObject { ["imsi"] = imsi, ["groupId"] = groupId };
        if (imei is not null)
        {
            subscriber["imei"] = imei;
        }

        if (msisdn is not null)
        {
            subscriber["msisdn"] = msisdn;
        }

        return subscriber;
    }

    /// <summary>What <see cref="RegistryParser"/> requires of these fields given as strings.</summary>
    private static bool PassesParserChecks(string imsi, string? imei, string? msisdn) =>
        IsDigits(imsi, 6, 15)
        && (imei is null || IsDigits(imei, 14, 16))
        && (msisdn is null || IsDigits(msisdn.AsSpan().TrimStart('+'), 1, 15));

    private static bool IsDigits(ReadOnlySpan<char> value, int min, int max) =>
        value.Length >= min && value.Length <= max && !value.ContainsAnyExceptInRange('0', '9');

    /// <summary><see cref="Document"/>'s text as <see cref="JsonNode.ToJsonString"/> writes it (same escaping).</summary>
    private static string Json(string imsi, string groupId, string? imei, string? msisdn)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("imsi"u8, imsi);
            writer.WriteString("groupId"u8, groupId);
            if (imei is not null)
            {
                writer.WriteString("imei"u8, imei);
            }

            if (msisdn is not null)
            {
                writer.WriteString("msisdn"u8, msisdn);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
