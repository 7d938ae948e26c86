using System.Net;

namespace Gateway.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderReader.ReadAsync"/> found at the start of a connection.</summary>
/// <param name="Canceled">The read was cancelled (the caller's deadline) before a header was whole.</param>
/// <param name="Accepted">A valid header was read and consumed.</param>
/// <param name="Source">The device's address from the header; null to keep the proxy's own (LOCAL, UNKNOWN).</param>
/// <param name="Reason">Why the header was refused, when neither cancelled nor accepted.</param>
internal readonly record struct ProxyReadResult(bool Canceled, bool Accepted, IPEndPoint? Source, ProxyRejectReason Reason);
