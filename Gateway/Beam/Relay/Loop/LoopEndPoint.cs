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

    public override string ToString() => $"http://{Address} (Beam relay event loops)";
}
