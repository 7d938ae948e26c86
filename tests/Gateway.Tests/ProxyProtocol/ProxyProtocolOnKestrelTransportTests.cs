namespace Gateway.Tests.ProxyProtocol;

/// <summary>Every PROXY protocol test again with the HTTP relay on Kestrel's socket transport (its connection middleware).</summary>
public sealed class ProxyProtocolOnKestrelTransportTests : ProxyProtocolTests
{
    protected override bool EventLoops => false;
}
