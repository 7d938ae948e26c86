namespace Gateway.Signing.Soracom;

/// <summary>
/// How the identity first line on a TCP→TCP relay ends. SORACOM documents neither point precisely; the defaults
/// follow its own test server (which reads the line with Ruby's <c>gets</c>, splitting on LF) and its Japanese
/// documentation (which shows <c> version=20150901</c> after the signature).
/// </summary>
public sealed class TcpFirstLineOptions
{
    /// <summary>The defaults: LF line ending, version suffix on signed lines.</summary>
    public static TcpFirstLineOptions Default { get; } = new();

    /// <summary>The line ending: <c>"\n"</c> (default) or <c>"\r\n"</c>.</summary>
    public string LineEnding { get; init; } = "\n";

    /// <summary>Whether a signed line ends in <c> version=20150901</c> before the line ending. Default true.</summary>
    public bool AppendVersion { get; init; } = true;

    /// <summary>Throws when the options cannot produce a parseable line.</summary>
    /// <exception cref="ArgumentException">The line ending is neither LF nor CRLF.</exception>
    public void Validate()
    {
        if (LineEnding is not ("\n" or "\r\n"))
        {
            throw new ArgumentException("LineEnding must be \"\\n\" or \"\\r\\n\".", nameof(LineEnding));
        }
    }
}
