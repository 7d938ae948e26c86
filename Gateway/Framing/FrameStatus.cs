namespace Gateway.Framing;

/// <summary>The outcome of looking for one Binary Format v1 frame in received bytes.</summary>
internal enum FrameStatus
{
    /// <summary>A whole frame with a good CRC.</summary>
    Complete,

    /// <summary>Not enough bytes yet; read more.</summary>
    Incomplete,

    /// <summary>A whole frame whose CRC does not match: it was consumed and must be dropped.</summary>
    BadCrc,

    /// <summary>A length of zero, which the format does not allow: the two length bytes were consumed.</summary>
    ZeroLength,
}
