namespace Gateway.Registry;

/// <summary>The registry could not be loaded at start; the process exits with the message.</summary>
internal sealed class RegistryLoadException : Exception
{
    public RegistryLoadException()
    {
    }

    public RegistryLoadException(string message)
        : base(message)
    {
    }

    public RegistryLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
