namespace Gateway.Lpwa;

/// <summary>The kind of network server an integration speaks for; it fixes the URL prefix and the body it sends.</summary>
internal enum LpwaNetwork
{
    /// <summary>ChirpStack v4 HTTP integration, <c>POST /lpwa/chirpstack/{name}?event=up</c>.</summary>
    ChirpStack,

    /// <summary>The Things Stack (v3) webhook uplink message, <c>POST /lpwa/tts/{name}</c>.</summary>
    Tts,

    /// <summary>Sigfox backend custom HTTP callback (uplink data), <c>POST /lpwa/sigfox/{name}</c>.</summary>
    Sigfox,
}
