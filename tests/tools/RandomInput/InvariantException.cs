namespace Gateway.RandomInput;

/// <summary>A parser returned normally but its result breaks its own contract (a range outside the input, a round trip that differs).</summary>
internal sealed class InvariantException : Exception
{
    public InvariantException()
    {
    }

    public InvariantException(string message)
        : base(message)
    {
    }

    public InvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantException(what);
        }
    }
}
