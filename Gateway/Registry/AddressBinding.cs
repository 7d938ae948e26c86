namespace Gateway.Registry;

/// <summary>
/// What the network said about an address: RADIUS accounting (or a VPN) bound it to a SIM, with the IMEI the
/// session reported. The IMEI here is what the IMEI lock is checked against.
/// </summary>
internal sealed record AddressBinding(string Imsi, string? Imei, string? Msisdn, DateTimeOffset BoundAt, string? Nas = null)
{
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["imsi"] = Imsi,
        ["imei"] = Imei,
        ["msisdn"] = Msisdn,
        ["boundAt"] = BoundAt.ToUnixTimeMilliseconds(),
        ["nas"] = Nas,
    };

    /// <summary>
    /// <see cref="ToJson"/>'s text, written directly: the store keeps one per RADIUS session, thousands a second in an
    /// attach storm, and a JSON tree for each was garbage.
    /// </summary>
    public string ToJsonString()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(160);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("imsi"u8, Imsi);
            writer.WriteString("imei"u8, Imei);
            writer.WriteString("msisdn"u8, Msisdn);
            writer.WriteNumber("boundAt"u8, BoundAt.ToUnixTimeMilliseconds());
            writer.WriteString("nas"u8, Nas);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static AddressBinding? FromJson(System.Text.Json.Nodes.JsonNode? node) =>
        (string?)node?["imsi"] is { } imsi
            ? new AddressBinding(imsi, (string?)node["imei"], (string?)node["msisdn"], DateTimeOffset.FromUnixTimeMilliseconds((long?)node["boundAt"] ?? 0), (string?)node["nas"])
            : null;
}
