namespace Gateway.Registry;

/// <summary>The kinds of Beam entry point, selected by a SORACOM <c>SoracomBeam</c> key.</summary>
internal enum BeamEntryPoint
{
    /// <summary><c>http://beam.soracom.io:8888/&lt;path&gt;</c>: one destination per path.</summary>
    Http,

    /// <summary><c>http://beam.soracom.io:18080</c> (or <c>:80</c>): the device's path and query kept.</summary>
    Website,

    /// <summary><c>tcp://beam.soracom.io:23080</c>: TCP payloads POSTed to HTTP.</summary>
    TcpToHttp,

    /// <summary><c>udp://beam.soracom.io:23080</c>: UDP datagrams POSTed to HTTP.</summary>
    UdpToHttp,

    /// <summary><c>tcp://beam.soracom.io:8023</c>: TCP relayed to TCP or TLS.</summary>
    TcpToTcp,

    /// <summary><c>mqtt://beam.soracom.io:1883</c>: MQTT relayed to MQTT or MQTTS.</summary>
    Mqtt,

    /// <summary><c>lorawan://beam.soracom.io</c>: LoRaWAN uplinks from a network server, POSTed to HTTP (the gateway's key; SORACOM's is not published).</summary>
    LoraToHttp,

    /// <summary><c>sigfox://beam.soracom.io</c>: Sigfox callbacks, POSTed to HTTP (the gateway's key; SORACOM's is not published).</summary>
    SigfoxToHttp,
}
