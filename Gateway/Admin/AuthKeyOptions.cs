namespace Gateway.Admin;

/// <summary>One non-root auth key.</summary>
internal sealed class AuthKeyOptions
{
    public string AuthKeyId { get; set; } = string.Empty;

    public string? AuthKey { get; set; }

    /// <summary>The SAM permission document, as SORACOM stores it: JSON in a string.</summary>
    public string? Permission { get; set; }
}
