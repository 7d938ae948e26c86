namespace Gateway.ProxyProtocol;

/// <summary>Why a trusted proxy's connection was closed before its device's protocol began.</summary>
internal enum ProxyRejectReason
{
    /// <summary>The connection did not begin with either signature.</summary>
    Missing,

    /// <summary>A signature, then bytes the specification does not allow (a bad address, port, version or command).</summary>
    Malformed,

    /// <summary>The header did not arrive whole: the connection ended, or the deadline passed.</summary>
    Truncated,

    /// <summary>A v1 line past 107 bytes, or a v2 header longer than <see cref="ProxyHeaderParser.MaxV2PayloadBytes"/>.</summary>
    Oversized,

    /// <summary>A PROXY command for a family other than TCP over IPv4 or IPv6 (AF_UNIX, UNSPEC, datagrams).</summary>
    UnsupportedFamily,
}
