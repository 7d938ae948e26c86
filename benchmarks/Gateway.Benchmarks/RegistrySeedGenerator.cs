using System.Globalization;
using System.Text.Json;

namespace Gateway.Benchmarks;

/// <summary>
/// Writes a JSON seed file of <c>N</c> subscribers in four groups, each with an IMEI, a static address
/// (10.x.y.z, unique), an MSISDN and one tag: the shape an operator's export has. Written as a stream, so a seed of
/// millions costs no memory here either.
/// </summary>
internal static class RegistrySeedGenerator
{
    public const long FirstImsi = 440100000000000L;

    public static void Write(string path, int subscribers)
    {
        using var file = File.Create(path);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteStartArray("groups");
        for (var g = 0; g < 4; g++)
        {
            json.WriteStartObject();
            json.WriteString("groupId", $"fleet-{g}");
            json.WriteStartObject("tags");
            json.WriteString("name", $"Fleet {g}");
            json.WriteEndObject();
            json.WriteStartObject("configuration");
            json.WriteStartObject("SoracomHarvest");
            json.WriteBoolean("enabled", true);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("subscribers");
        for (var i = 0; i < subscribers; i++)
        {
            json.WriteStartObject();
            json.WriteString("imsi", Imsi(i));
            json.WriteString("imei", (353000000000000L + i).ToString(CultureInfo.InvariantCulture));
            json.WriteString("msisdn", (819000000000L + i).ToString(CultureInfo.InvariantCulture));
            json.WriteString("groupId", $"fleet-{i % 4}");
            json.WriteString("ipAddress", Address(i));
            json.WriteStartObject("tags");
            json.WriteString("name", $"meter-{i}");
            json.WriteEndObject();
            json.WriteEndObject();
            if (i % 10_000 == 0)
            {
                json.Flush();
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string Imsi(int i) => (FirstImsi + i).ToString(CultureInfo.InvariantCulture);

    /// <summary>10.0.0.0/8 holds 16.7 million: enough for any N this harness is run with.</summary>
    public static string Address(int i) => $"10.{(i >> 16) & 0xff}.{(i >> 8) & 0xff}.{i & 0xff}";
}
