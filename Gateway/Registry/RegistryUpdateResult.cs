namespace Gateway.Registry;

/// <summary>The outcome of a registry change: the new version, or every validation error.</summary>
internal sealed record RegistryUpdateResult(bool Succeeded, long Version, IReadOnlyList<string> Errors)
{
    public static RegistryUpdateResult Failed(IReadOnlyList<string> errors) => new(false, 0, errors);
}
