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

    public static AddressBinding? FromJson(System.Text.Json.Nodes.JsonNode? node) =>
        (string?)node?["imsi"] is { } imsi
            ? new AddressBinding(imsi, (string?)node["imei"], (string?)node["msisdn"], DateTimeOffset.FromUnixTimeMilliseconds((long?)node["boundAt"] ?? 0), (string?)node["nas"])
            : null;
}
