namespace Gateway.BinaryParser;

/// <summary>A format string that does not compile. <see cref="Error"/> says which field, where, and why.</summary>
public sealed class BinaryFormatException : FormatException
{
    /// <summary>Creates the exception for a compile error.</summary>
    /// <param name="error">The position and reason.</param>
    public BinaryFormatException(BinaryFormatError error)
        : base(FormatMessage(error))
    {
        Error = error;
    }

    /// <summary>Creates the exception with a message only (no position is known).</summary>
    public BinaryFormatException()
        : this("The binary parser format is not valid.")
    {
    }

    /// <summary>Creates the exception with a message only (no position is known).</summary>
    /// <param name="message">What is wrong.</param>
    public BinaryFormatException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with a message and a cause (no position is known).</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public BinaryFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Error = new BinaryFormatError(1, 1, message);
    }

    /// <summary>Which field, at which column, and why.</summary>
    public BinaryFormatError Error { get; }

    /// <summary>1-based number of the field definition at fault.</summary>
    public int FieldNumber => Error.FieldNumber;

    /// <summary>1-based character position in the format string.</summary>
    public int Column => Error.Column;

    /// <summary>What is wrong.</summary>
    public string Reason => Error.Reason;

    private static string FormatMessage(BinaryFormatError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return "Invalid binary parser format: " + error;
    }
}
