namespace Gateway.Beam;

/// <summary>One <c>customHeaders</c> rule, applied after the identity headers.</summary>
internal sealed record CustomHeader(HeaderAction Action, string Name, string? Value);
