namespace Gateway.Registry;

/// <summary>Why a device was not served.</summary>
internal enum RefusalReason
{
    /// <summary>Served.</summary>
    None = 0,

    /// <summary>Nothing the network told us maps to a subscriber.</summary>
    UnknownDevice,

    /// <summary>The subscriber exists but is not active.</summary>
    Inactive,

    /// <summary>The subscriber is locked to another IMEI, or to an IMEI while none was reported.</summary>
    ImeiMismatch,
}
