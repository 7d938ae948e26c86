namespace Gateway.RandomInput;

/// <summary>
/// One parser under test: the valid samples mutation starts from, the tokens its grammar is made of, and how one
/// input is fed to it. <see cref="Run"/> returns normally for any input the parser handles as documented (a result,
/// a false, an error list, its own documented exception type); anything else it throws is an escape.
/// </summary>
internal interface IParserTarget
{
    /// <summary>The name <c>--parser</c> takes.</summary>
    string Name { get; }

    /// <summary>What is fed, in one line, for the report.</summary>
    string Description { get; }

    /// <summary>Well-formed inputs, so that mutations reach past the first check.</summary>
    IReadOnlyList<byte[]> Samples { get; }

    /// <summary>Fragments of the grammar (keywords, separators, length fields) that mutations insert.</summary>
    IReadOnlyList<byte[]> Tokens { get; }

    /// <summary>The largest input generated: the size the gateway itself accepts before parsing.</summary>
    int MaxInputBytes { get; }

    /// <summary>
    /// Repairs a mutated input's framing now and then (a length field, a checksum) so that the parser's deeper code is
    /// reached too, not only its first length check. Returns the input to run, possibly the same array.
    /// </summary>
    byte[] Shape(byte[] input, Random random);

    /// <summary>Feeds one input; throws <see cref="InvariantException"/> when the result breaks the parser's own contract.</summary>
    void Run(byte[] input);
}
