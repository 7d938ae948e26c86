using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// A credential set in SORACOM's shape. <see cref="Credentials"/> holds secrets: it is never returned by the API
/// nor written to a log.
/// </summary>
internal sealed class CredentialSet
{
    public required string CredentialsId { get; init; }

    public required string Type { get; init; }

    public string? Description { get; init; }

    public JsonObject Credentials { get; init; } = [];

    public long CreateDateTime { get; init; }

    public long UpdateDateTime { get; init; }

    /// <summary>Credential types SORACOM lists; others are refused so that typos surface at load.</summary>
    public static readonly IReadOnlySet<string> KnownTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "api-token-credentials", "aws-credentials", "aws-iam-role-credentials", "azure-credentials",
        "azureIoT-credentials", "esrij-credentials", "google-service-account-json", "googleIoT-credentials",
        "infoteria-platio-credentials", "kii-thingif-credentials", "landlog-credentials", "mmcloud-credentials",
        "motionboard-credentials", "optim-cloud-IoT-OS-credentials", "private-key-pem", "psk",
        "pubnub-credentials", "sensorcorpus-credentials", "username-password-credentials", "x509",
        "kafka-credentials", // the gateway's own Kafka destination: SASL user, password, mechanism, CA (Adapters/Kafka)
    };

    /// <summary>
    /// Fields a type may carry, which must be strings when present: AWS's <c>externalId</c> (SORACOM's) and our
    /// <c>region</c>, the signing region for a local Kinesis/Firehose/IoT peer whose host names none (Adapters/Aws).
    /// </summary>
    public static IReadOnlyList<string> OptionalFields(string type) => type switch
    {
        "aws-credentials" => ["region"],
        "aws-iam-role-credentials" => ["externalId", "region"],
        _ => [],
    };

    /// <summary>Fields each type must carry in <c>credentials</c>.</summary>
    public static IReadOnlyList<string> RequiredFields(string type) => type switch
    {
        "psk" => ["key"],
        "x509" => ["cert", "key"],
        "aws-credentials" => ["accessKeyId", "secretAccessKey"],
        "aws-iam-role-credentials" => ["roleArn"],
        "azure-credentials" => ["policyName", "key"],
        "azureIoT-credentials" => ["sharedAccessKeyName", "sharedAccessKey"],
        "google-service-account-json" => ["credentials"],
        "username-password-credentials" => ["username", "password"],
        "api-token-credentials" => ["token"],
        "kafka-credentials" => ["username", "password"],
        _ => [],
    };
}
