namespace Gateway.Pipeline;

/// <summary>The spelling of each <see cref="SourceProtocol"/> on the wire (Funnel's <c>sourceProtocol</c>, Harvest's).</summary>
internal static class SourceProtocols
{
    public static string Name(SourceProtocol protocol) => protocol switch
    {
        SourceProtocol.Udp => "udp",
        SourceProtocol.Tcp => "tcp",
        SourceProtocol.Http => "http",
        SourceProtocol.Mqtt => "mqtt",
        SourceProtocol.Lora => "lora",
        SourceProtocol.Sigfox => "sigfox",
        _ => "unspecified",
    };

    /// <summary>True where a device reads its reply as <c>&lt;status&gt; &lt;body&gt;</c> text (TCP and UDP).</summary>
    public static bool RepliesAsText(SourceProtocol protocol) => protocol is SourceProtocol.Udp or SourceProtocol.Tcp;
}
