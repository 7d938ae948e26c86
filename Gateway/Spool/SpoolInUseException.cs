namespace Gateway.Spool;

/// <summary>
/// A spool directory another process holds (<see cref="SpoolFiles.LockDirectory"/>): a start error, written as one
/// line naming the directory, not a stack trace.
/// </summary>
internal sealed class SpoolInUseException : Exception
{
    public SpoolInUseException()
    {
    }

    public SpoolInUseException(string message)
        : base(message)
    {
    }

    public SpoolInUseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
