using Gateway.Adapters.Aws;

namespace Gateway.Adapters.Kinesis;

/// <summary>
/// SORACOM's Kinesis Data Streams destination, <c>{"provider": "aws", "service": "kinesis", "resourceUrl":
/// "https://kinesis.&lt;region&gt;.amazonaws.com/&lt;stream&gt;"}</c> (<c>#{imsi}</c> allowed in the stream name; any other
/// host is a Kinesis-compatible endpoint such as kinesalite), keys <c>payloadsOnly</c>, <c>randomizePartitionKey</c>,
/// <c>timeoutSeconds</c>; credential sets <c>aws-credentials</c> or <c>aws-iam-role-credentials</c>. Records go out
/// with <c>PutRecords</c>, partitioned by IMSI. See <c>Adapters/Kinesis/README.md</c>.
/// </summary>
public sealed class KinesisAdapterFactory : IFunnelAdapterFactory
{
    /// <inheritdoc/>
    public string Provider => "aws";

    /// <inheritdoc/>
    public string Service => AwsService.Kinesis.Name;

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes => AwsCredentialTypes.All;

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        AwsSettings.Parse(destination, AwsService.Kinesis, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context) =>
        AwsAdapters.Create(
            AwsService.Kinesis, destination, credentials, context, AwsRecordApi.Kinesis.MaxRecords,
            AwsRecordApi.Kinesis.MaxRecordBytes - AwsRecordApi.MaxPartitionKeyLength,
            (settings, http) => new AwsRecordAdapter(AwsRecordApi.Kinesis, settings, http, context));
}
