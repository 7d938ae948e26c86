namespace Gateway.BinaryParser;

/// <summary>What one decode produced.</summary>
/// <param name="FieldsWritten">Number of fields written to the output.</param>
/// <param name="FieldsOmitted">
/// Number of fields of the format left out because the payload was too short to hold them (for <c>@json</c>, 1 when
/// the payload is not a JSON object). Such fields are simply absent from the output; the ones that fit are still
/// written, in format order.
/// </param>
public readonly record struct DecodeResult(int FieldsWritten, int FieldsOmitted)
{
    /// <summary>Whether every field of the format fitted in the payload.</summary>
    public bool IsComplete => FieldsOmitted == 0;
}
