namespace Gateway.Beam;

/// <summary>What a custom header rule does to the upstream request.</summary>
internal enum HeaderAction
{
    /// <summary>Adds a value, keeping any the request already has.</summary>
    Append,

    /// <summary>Sets the header to this value alone.</summary>
    Replace,

    /// <summary>Removes the header.</summary>
    Delete,
}
