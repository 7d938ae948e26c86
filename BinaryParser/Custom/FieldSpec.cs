using System.Text.Json;

namespace Gateway.BinaryParser.Custom;

/// <summary>
/// One compiled field: every position is resolved at compile time (including empty indexes), so decoding is a bounds
/// check and a few shifts.
/// </summary>
internal readonly struct FieldSpec
{
    public required string Name { get; init; }

    public required JsonEncodedText EncodedName { get; init; }

    public required FieldKind Kind { get; init; }

    /// <summary>First payload byte the field reads.</summary>
    public required int FirstByte { get; init; }

    /// <summary>Last payload byte the field reads (touches, even partially); the payload must be longer than this.</summary>
    public required int LastByte { get; init; }

    /// <summary>
    /// For <see cref="FieldKind.Bool"/> the bit position (7 = most significant). For big-endian integers the number of
    /// bits after the value in <see cref="LastByte"/>, which are shifted away.
    /// </summary>
    public int Shift { get; init; }

    /// <summary>Bit length of an integer (1..64).</summary>
    public int BitLength { get; init; }

    public bool LittleEndian { get; init; }

    public required Operation[] Operations { get; init; }

    /// <summary>
    /// <c>k</c> when the only operation is a division by <c>10^k</c> (1 ≤ k ≤ 15), as in <c>/100</c>: the result's text
    /// is then the integer's digits with a decimal point, no digit search needed. 0 otherwise.
    /// </summary>
    public int DecimalPlaces { get; init; }
}
