namespace Gateway.Registry;

/// <summary>
/// The metric tag for each <see cref="RefusalReason"/> (<c>unknown_device</c>, <c>inactive</c>,
/// <c>imei_mismatch</c>), made once: refusals are counted on the hot path and must not build a string each.
/// </summary>
internal static class RefusalTags
{
    private static readonly string[] s_tags = [.. Enum.GetValues<RefusalReason>().Select(static r => r switch
    {
        RefusalReason.UnknownDevice => "unknown_device",
        RefusalReason.Inactive => "inactive",
        RefusalReason.ImeiMismatch => "imei_mismatch",
        _ => "none",
    })];

    private static readonly string[] s_refused = [.. s_tags.Select(static t => "refused_" + t)];

    public static string Of(RefusalReason reason) => s_tags[(int)reason];

    /// <summary>The entry points' result tag: <c>refused_unknown_device</c>, …</summary>
    public static string Refused(RefusalReason reason) => s_refused[(int)reason];
}
