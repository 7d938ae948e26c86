namespace Gateway.Adapters;

/// <summary>
/// Knows one kind of destination (a <c>provider</c>/<c>service</c> pair): checks a configuration when the registry
/// loads it, and makes the client that delivers to it.
/// </summary>
public interface IFunnelAdapterFactory
{
    /// <summary>The destination's <c>provider</c>, e.g. <c>kafka</c>.</summary>
    string Provider { get; }

    /// <summary>The destination's <c>service</c>, e.g. <c>kafka</c>.</summary>
    string Service { get; }

    /// <summary>Credential types this destination accepts (empty: none needed); the registry refuses others.</summary>
    IReadOnlyList<string> CredentialTypes { get; }

    /// <summary>
    /// Checks the destination's settings, adding one error per problem, each starting with its path under
    /// <paramref name="path"/> (e.g. <c>{path}.resourceUrl: …</c>). Messages never echo secrets.
    /// </summary>
    void Validate(FunnelDestination destination, string path, List<string> errors);

    /// <summary>Makes the client. Called once per destination and credential set; cheap to call, connects lazily.</summary>
    IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context);
}
