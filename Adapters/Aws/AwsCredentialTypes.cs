using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Gateway.Adapters.Aws;

/// <summary>
/// The credential sets the AWS destinations take, as SORACOM defines them: <c>aws-credentials</c> {accessKeyId,
/// secretAccessKey} and <c>aws-iam-role-credentials</c> {roleArn, externalId}. Both may add <c>region</c> (ours), the
/// signing region for a local peer whose host names none. Without a credential set the gateway's own AWS identity is
/// used (AWSSDK.Core's default chain: environment, profile, web identity, instance role).
/// </summary>
internal static class AwsCredentialTypes
{
    public const string Keys = "aws-credentials";
    public const string Role = "aws-iam-role-credentials";

    /// <summary>What AssumeRole sessions are named in CloudTrail, so an operator can tell the gateway's calls apart.</summary>
    public const string RoleSessionName = "iot-gateway-funnel";

    public static IReadOnlyList<string> All { get; } = [Keys, Role];

    /// <summary>
    /// The SDK credentials for <paramref name="set"/>, or null with <paramref name="problem"/> (which names fields,
    /// never their values). Nothing is resolved here: the default chain and AssumeRole run on the first send, so
    /// making an adapter never blocks on the network.
    /// </summary>
    public static AWSCredentials? Create(AdapterCredentials? set, out string? problem)
    {
        problem = null;
        if (set is null)
        {
            return new AwsLazyCredentials(static () => DefaultAWSCredentialsIdentityResolver.GetCredentials());
        }

        switch (set.Type)
        {
            case Keys:
                var accessKeyId = set.Field("accessKeyId");
                var secret = set.Field("secretAccessKey");
                if (string.IsNullOrEmpty(accessKeyId) || string.IsNullOrEmpty(secret))
                {
                    problem = $"credential set '{set.CredentialsId}' lacks accessKeyId or secretAccessKey";
                    return null;
                }

                return new BasicAWSCredentials(accessKeyId, secret);
            case Role:
                var roleArn = set.Field("roleArn");
                if (roleArn is null || !roleArn.StartsWith("arn:", StringComparison.Ordinal) || !roleArn.Contains(":role/", StringComparison.Ordinal))
                {
                    problem = $"credential set '{set.CredentialsId}': roleArn is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)";
                    return null;
                }

                var options = new AssumeRoleAWSCredentialsOptions { ExternalId = set.Field("externalId") is { Length: > 0 } id ? id : null };

                // AssumeRoleAWSCredentials caches the session and renews it before it expires; the base identity that
                // calls STS is the gateway's own (default chain), as SORACOM's own account is for SORACOM.
                return new AwsLazyCredentials(() =>
                    new AssumeRoleAWSCredentials(DefaultAWSCredentialsIdentityResolver.GetCredentials(), roleArn, RoleSessionName, options));
            default:
                problem = $"credential set '{set.CredentialsId}' is of type {set.Type}; AWS destinations take {Keys} or {Role}";
                return null;
        }
    }

    /// <summary>The credential set's <c>region</c> field (ours), for a local peer's signing region.</summary>
    public static string? Region(AdapterCredentials? set) => set?.Field("region") is { Length: > 0 } region ? region : null;
}
