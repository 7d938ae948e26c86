namespace Gateway.Signing.Soracom;

/// <summary>Settings of <see cref="SoracomSignatureVerifier"/>.</summary>
public sealed class SoracomVerifierOptions
{
    /// <summary>
    /// The accepted pre-shared keys. More than one during key rotation: the new key first, the old one until every
    /// gateway signs with the new one.
    /// </summary>
    public IList<string> PreSharedKeys { get; } = [];

    /// <summary>
    /// How far a signed timestamp may be from this machine's clock, either way. Default 5 minutes.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the check off.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Refuse a signature already accepted inside the skew window. Default on. SORACOM's signature does not cover
    /// the body, so two different requests from one device in the same millisecond carry the same signature and
    /// the second is refused: that is the price of catching replays.
    /// </summary>
    public bool ReplayProtection { get; set; } = true;

    /// <summary>
    /// How many accepted signatures the replay cache remembers (about 100 bytes each). When it is full the oldest
    /// entry is forgotten and its timestamp becomes a floor: nothing signed at or before it is accepted again, so a
    /// full cache never lets a replay through. Default 100,000.
    /// </summary>
    public int ReplayCacheCapacity { get; set; } = 100_000;

    /// <summary>Every problem with these settings, each naming the setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PreSharedKeys.Count == 0)
        {
            errors.Add("PreSharedKeys: at least one pre-shared key is required.");
        }

        for (var i = 0; i < PreSharedKeys.Count; i++)
        {
            if (string.IsNullOrEmpty(PreSharedKeys[i]))
            {
                errors.Add($"PreSharedKeys[{i}]: a key may not be empty.");
            }
        }

        if (MaxClockSkew != Timeout.InfiniteTimeSpan && MaxClockSkew <= TimeSpan.Zero)
        {
            errors.Add($"MaxClockSkew: must be positive, or Timeout.InfiniteTimeSpan to disable the check (was {MaxClockSkew}).");
        }

        if (ReplayCacheCapacity < 1 || ReplayCacheCapacity > 10_000_000)
        {
            errors.Add($"ReplayCacheCapacity: must be between 1 and 10,000,000 (was {ReplayCacheCapacity}).");
        }

        return errors;
    }
}
