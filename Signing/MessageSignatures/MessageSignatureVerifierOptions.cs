namespace Gateway.Signing.MessageSignatures;

/// <summary>Settings of <see cref="HttpMessageSignatureVerifier"/>.</summary>
public sealed class MessageSignatureVerifierOptions
{
    /// <summary>HMAC-SHA256 keys by key ID (the <c>keyid</c> parameter). Several during rotation.</summary>
    public IDictionary<string, byte[]> Keys { get; } = new Dictionary<string, byte[]>(StringComparer.Ordinal);

    /// <summary>
    /// Components a signature must cover to be accepted. Default: <c>@method</c>, <c>@target-uri</c> and
    /// <c>content-digest</c>, which is what makes the signature cover the body.
    /// </summary>
    public IList<string> RequiredComponents { get; } = ["@method", "@target-uri", "content-digest"];

    /// <summary>
    /// How far <c>created</c> may be from this machine's clock. Default 5 minutes; <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns the check off (and then <c>created</c> is not required).
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The signature label to verify; null verifies the first signature made with a known key.</summary>
    public string? Label { get; set; }

    /// <summary>Every problem with these settings, each naming the setting; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Keys.Count == 0)
        {
            errors.Add("Keys: at least one key ID and HMAC key is required.");
        }

        foreach (var (id, key) in Keys)
        {
            if (string.IsNullOrEmpty(id) || key is null || key.Length == 0)
            {
                errors.Add($"Keys[{id}]: key ID and key may not be empty.");
            }
        }

        foreach (var component in RequiredComponents)
        {
            if (string.IsNullOrEmpty(component) || (component[0] == '@' && !HttpMessageComponents.IsSupportedDerived(component)))
            {
                errors.Add($"RequiredComponents: '{component}' is not a supported component.");
            }
        }

        if (MaxClockSkew != Timeout.InfiniteTimeSpan && MaxClockSkew <= TimeSpan.Zero)
        {
            errors.Add($"MaxClockSkew: must be positive, or Timeout.InfiniteTimeSpan to disable the check (was {MaxClockSkew}).");
        }

        return errors;
    }
}
