namespace Gateway.Lpwa;

/// <summary>
/// One network-server integration (<c>Gateway:Lpwa:Integrations:N</c>). Its URL is
/// <c>/lpwa/{Type}/{Name}</c>; the network server proves itself with <c>Authorization: Bearer {Secret}</c> (or HTTP
/// Basic with the secret as the password, for backends that can only put credentials in the URL).
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
