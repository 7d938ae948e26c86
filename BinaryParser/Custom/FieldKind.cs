namespace Gateway.BinaryParser.Custom;

/// <summary>The value types of the custom format grammar.</summary>
internal enum FieldKind : byte
{
    Bool,
    Int,
    UInt,
    Float32,
    Float64,
    Char,
}
