namespace Gateway.Radius;

/// <summary>One attribute as it appears in the packet: its type and its value (a slice of the datagram, not a copy).</summary>
internal readonly record struct RadiusAttribute(byte Type, ReadOnlyMemory<byte> Value);
