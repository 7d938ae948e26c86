namespace Gateway.Endorse;

/// <summary>Process settings of Endorse (<c>Gateway:Endorse</c>).</summary>
internal sealed class EndorseOptions
{
    public const string SectionName = "Gateway:Endorse";

    /// <summary>
    /// The token's <c>iss</c>. SORACOM's by default, so that a backend that checks it keeps working unchanged; a
    /// deployment whose backends are its own should set its own URL, since the signing key, not this value, is what
    /// proves who issued a token.
    /// </summary>
    public string Issuer { get; set; } = "https://soracom.io";
}
