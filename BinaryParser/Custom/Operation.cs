namespace Gateway.BinaryParser.Custom;

/// <summary>One arithmetic step of a field, such as <c>/100</c>.</summary>
internal readonly record struct Operation(char Operator, double Operand)
{
    /// <summary>Applies the step in IEEE-754 double precision; NaN and infinities pass through for the caller to map to null.</summary>
    public double Apply(double value) => Operator switch
    {
        '+' => value + Operand,
        '-' => value - Operand,
        '*' => value * Operand,
        _ => value / Operand,
    };
}
