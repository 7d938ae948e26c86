using System.Net;

namespace Gateway.ProxyProtocol;

/// <summary>A PROXY protocol header read whole: its length on the wire, and the device's address if it carries one.</summary>
/// <param name="Source">
/// The address of the peer the proxy accepted; null for a v2 LOCAL header (the proxy's own health check) or a v1
/// UNKNOWN one, where the connection keeps the proxy's own address.
/// </param>
/// <param name="Length">The header's bytes, to consume before the device's own protocol starts.</param>
internal readonly record struct ProxyHeader(IPEndPoint? Source, int Length);
