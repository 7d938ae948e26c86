namespace Gateway.Registry;

/// <summary>
/// The outcome of resolving a message's origin: the subscriber and its group, with the IMEI to use (the one the
/// session reported, else the registry's), or the reason it is refused.
/// </summary>
internal readonly record struct DeviceIdentity(Subscriber? Subscriber, Group? Group, string? Imei, RefusalReason Refusal)
{
    public bool IsKnown => Refusal == RefusalReason.None;

    /// <summary>Who this is, for logs: the IMSI, or which group's range an anonymous device came from.</summary>
    public string Label => Subscriber switch
    {
        null => "-",
        { IsAnonymous: true } s => $"anonymous in {s.GroupId}",
        var s => s.Imsi,
    };

    public static DeviceIdentity Refused(RefusalReason reason, Subscriber? subscriber = null) => new(subscriber, null, null, reason);
}
