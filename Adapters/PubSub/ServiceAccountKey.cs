namespace Gateway.Adapters.PubSub;

/// <summary>The fields of a service account key file the adapter uses. <see cref="PrivateKey"/> is secret.</summary>
internal sealed class ServiceAccountKey
{
    public required string ClientEmail { get; init; }

    public required string PrivateKey { get; init; }

    public string? PrivateKeyId { get; init; }

    public string? ProjectId { get; init; }

    /// <summary>The token endpoint; Google's own when absent.</summary>
    public string? TokenUri { get; init; }

    /// <inheritdoc/>
    public override string ToString() => ClientEmail; // never the key
}
