namespace Gateway.Pipeline;

/// <summary>
/// How a device message arrived, in SORACOM's words: the envelope's <c>sourceProtocol</c> is
/// <see cref="SourceProtocols.Name"/> of this.
/// </summary>
internal enum SourceProtocol
{
    Udp,
    Tcp,
    Http,
    Mqtt,
    Lora,
    Sigfox,
}
