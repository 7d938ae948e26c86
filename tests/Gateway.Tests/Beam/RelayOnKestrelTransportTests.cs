namespace Gateway.Tests.Beam;

/// <summary>
/// Every relay test again with the relay on Kestrel's socket transport (Gateway:Beam:EventLoopRelay=false), as on
/// systems where the event loops cannot run: the two transports must give the same bytes and answers.
/// </summary>
public sealed class RelayOnKestrelTransportTests : RelayTests
{
    protected override bool EventLoops => false;
}
