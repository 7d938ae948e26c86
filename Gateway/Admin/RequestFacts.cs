using System.Net;

namespace Gateway.Admin;

/// <summary>What a SAM condition may look at.</summary>
internal readonly record struct RequestFacts(IPAddress? RemoteAddress, DateTimeOffset Now);
