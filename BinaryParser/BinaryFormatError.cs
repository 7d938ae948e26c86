using System.Globalization;

namespace Gateway.BinaryParser;

/// <summary>Why a format string does not compile, and where.</summary>
/// <param name="FieldNumber">1-based number of the field definition at fault (fields are counted as separated by spaces).</param>
/// <param name="Column">1-based character position in the format string where the problem starts.</param>
/// <param name="Reason">What is wrong, in words meant for the person who wrote the format.</param>
public sealed record BinaryFormatError(int FieldNumber, int Column, string Reason)
{
    /// <summary>The error as one line: <c>field 2, column 9: unknown type 'flaot' ...</c>.</summary>
    /// <returns>A human-readable description including the position.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"field {FieldNumber}, column {Column}: {Reason}");
}
