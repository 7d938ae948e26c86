using System.Net;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// A device port served by the relay's event loops (<see cref="LoopTransportFactory"/> binds it; Kestrel's socket
/// transport does not take this type). <paramref name="website"/> keeps the device's path and query.
/// </summary>
internal sealed class LoopEndPoint(IPEndPoint address, bool website) : EndPoint
{
    public IPEndPoint Address { get; } = address;

    public bool Website { get; } = website;

    /// <summary>As an IP endpoint prints: Kestrel's "Now listening on" line puts the scheme before it.</summary>
    public override string ToString() => Address.ToString();
}
