namespace Gateway.RandomInput;

/// <summary>One kind of escape (exception type and where it was thrown), how often it happened, and the first input that caused it.</summary>
internal sealed class Finding(string signature, long firstInput, string example, string? savedAs)
{
    public string Signature { get; } = signature;

    public long FirstInput { get; } = firstInput;

    /// <summary>The first occurrence's exception, as text.</summary>
    public string Example { get; } = example;

    /// <summary>The file holding the first input that caused it, to replay with <c>--replay</c>.</summary>
    public string? SavedAs { get; } = savedAs;

    public long Count { get; set; } = 1;

    public override string ToString() => $"{Count} x {Signature} (first at input {FirstInput}{(SavedAs is null ? "" : ", saved as " + SavedAs)})";
}
