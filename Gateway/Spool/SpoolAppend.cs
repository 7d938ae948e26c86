namespace Gateway.Spool;

/// <summary>What became of an append.</summary>
internal enum SpoolAppend
{
    /// <summary>Written (and synced, as the fsync policy says): the device may be acknowledged.</summary>
    Stored,

    /// <summary>The spool is at its size limit and set to refuse: the device gets 503.</summary>
    Full,

    /// <summary>Larger than a segment can hold.</summary>
    TooLarge,

    /// <summary>The disk write failed, or the spool is closing.</summary>
    Failed,
}
