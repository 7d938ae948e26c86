namespace Gateway.Lpwa;

/// <summary>
/// One network-server integration (<c>Gateway:Lpwa:Integrations:N</c>). Its URL is <c>/lpwa/{Type}/{Name}</c> on
/// the LPWA listener, and the network server proves itself with <c>Authorization: Bearer {Secret}</c>, or with HTTP
/// Basic where the password is the secret (the user name is ignored). Where each network server sets it:
/// <list type="bullet">
/// <item>ChirpStack v4: application → Integrations → HTTP, "Payload encoding" JSON, "Event endpoint URL"
/// <c>http://gw:port/lpwa/chirpstack/{Name}</c>, and under "Headers" the key <c>Authorization</c> with the value
/// <c>Bearer {Secret}</c>.</item>
/// <item>The Things Stack: application → Webhooks → custom webhook, base URL <c>http://gw:port/lpwa/tts/{Name}</c>,
/// "Uplink message" enabled with an empty path, and under "Additional headers" <c>Authorization</c> =
/// <c>Bearer {Secret}</c>.</item>
/// <item>Sigfox backend: device type → Callbacks → custom callback, type DATA/UPLINK, channel URL, method POST,
/// content type <c>application/json</c>, URL <c>http://gw:port/lpwa/sigfox/{Name}</c>, header <c>Authorization</c> =
/// <c>Bearer {Secret}</c> (or credentials in the URL, <c>http://sigfox:{Secret}@gw:port/…</c>, sent as Basic), body
/// e.g. <c>{"device":"{device}","time":"{time}","data":"{data}","seqNumber":"{seqNumber}","lqi":"{lqi}",
/// "operatorName":"{operatorName}","countryCode":"{countryCode}"}</c>.</item>
/// </list>
/// </summary>
internal sealed class LpwaIntegrationOptions
{
    /// <summary>The last path segment of the integration's URL: letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.</summary>
    public string? Name { get; set; }

    /// <summary><c>chirpstack</c> (ChirpStack v4 HTTP integration), <c>tts</c> (The Things Stack webhook) or <c>sigfox</c> (Sigfox backend callback).</summary>
    public string? Type { get; set; }

    /// <summary>The shared secret, at least 16 characters. Never logged.</summary>
    public string? Secret { get; set; }
}
