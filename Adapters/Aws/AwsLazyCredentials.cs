using Amazon.Runtime;

namespace Gateway.Adapters.Aws;

/// <summary>
/// Credentials made on first use and kept: the default chain may probe the instance metadata service and AssumeRole
/// calls STS, neither of which belongs in an adapter's constructor. A failure is not kept, so the next send tries
/// again (the chain may find an identity later, STS may come back).
/// </summary>
internal sealed class AwsLazyCredentials(Func<AWSCredentials> create) : AWSCredentials
{
    private readonly Lazy<AWSCredentials> _inner = new(create, LazyThreadSafetyMode.PublicationOnly);

    public override ImmutableCredentials GetCredentials() => _inner.Value.GetCredentials();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => _inner.Value.GetCredentialsAsync();
}
