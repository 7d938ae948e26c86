using System.Net;

namespace Gateway.Radius;

/// <summary>
/// What identifies a retransmission (RFC 5080 §2.2.2): the same client, identifier and Request Authenticator. The
/// authenticator is an MD5 over the whole content, so two different requests sharing all three do not happen in practice.
/// </summary>
internal readonly record struct RadiusRequestKey(IPAddress Client, byte Identifier, UInt128 Authenticator);
