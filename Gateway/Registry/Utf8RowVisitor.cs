namespace Gateway.Registry;

/// <summary>
/// A stored subscriber handed over as the UTF-8 bytes the store holds (its ID and JSON text), valid only during the
/// call: a start reads a million of them without making a string of each.
/// </summary>
internal delegate void Utf8RowVisitor(ReadOnlySpan<byte> id, ReadOnlySpan<byte> document);
