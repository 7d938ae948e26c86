namespace Gateway.Registry;

/// <summary>A whole registry: what a seed file holds and what a store returns.</summary>
internal sealed class RegistryDocument
{
    public IReadOnlyList<Group> Groups { get; init; } = [];

    public IReadOnlyList<Subscriber> Subscribers { get; init; } = [];

    public IReadOnlyList<CredentialSet> Credentials { get; init; } = [];
}
