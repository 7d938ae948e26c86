namespace Gateway.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderParser"/> made of the bytes it was given.</summary>
internal enum ProxyParseStatus
{
    /// <summary>A whole, valid header.</summary>
    Done,

    /// <summary>So far a valid start of a header: more bytes are needed.</summary>
    Incomplete,

    /// <summary>Not a header this gateway takes: the reason says why.</summary>
    Rejected,
}
