namespace Gateway.Beam;

/// <summary>
/// A byte relay's idle cut (TCP→TCP, MQTT): traffic restarts it; when it fires, or when either direction ends, both
/// directions end. <see cref="UpstreamStream.PumpToDeviceAsync"/> and the entry points' device→upstream pumps share it.
/// </summary>
internal interface IRelayIdle
{
    /// <summary>What the pumps' reads and writes wait with; <see cref="CancellationToken.None"/> when the cut ends them another way.</summary>
    CancellationToken Token { get; }

    /// <summary>Traffic was seen: the idle time starts again.</summary>
    void Restart();

    /// <summary>Ends both directions (once; later calls do nothing).</summary>
    ValueTask EndAsync();
}
