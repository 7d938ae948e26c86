namespace Gateway.Beam;

/// <summary>What came back from upstream: its status and body, or (with <see cref="Failure"/>) the gateway's own status and reason.</summary>
internal sealed record UpstreamReply(int Status, byte[] Body, string? Failure);
