using Gateway.Adapters.Aws;

namespace Gateway.Adapters.Firehose;

/// <summary>
/// SORACOM's Amazon Data Firehose destination, <c>{"provider": "aws", "service": "firehose", "resourceUrl":
/// "https://firehose.&lt;region&gt;.amazonaws.com/&lt;delivery stream&gt;"}</c>, keys <c>payloadsOnly</c>,
/// <c>appendNewline</c> (ours: a <c>\n</c> after each record, so records land one per line in S3) and
/// <c>timeoutSeconds</c>; credential sets <c>aws-credentials</c> or <c>aws-iam-role-credentials</c>. Records go out
/// with <c>PutRecordBatch</c>. See <c>Adapters/Firehose/README.md</c>.
/// </summary>
public sealed class FirehoseAdapterFactory : IFunnelAdapterFactory
{
    /// <inheritdoc/>
    public string Provider => "aws";

    /// <inheritdoc/>
    public string Service => AwsService.Firehose.Name;

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes => AwsCredentialTypes.All;

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        AwsSettings.Parse(destination, AwsService.Firehose, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context) =>
        AwsAdapters.Create(
            AwsService.Firehose, destination, credentials, context, AwsRecordApi.Firehose.MaxRecords, AwsRecordApi.Firehose.MaxRecordBytes - 1,
            (settings, http) => new AwsRecordAdapter(AwsRecordApi.Firehose, settings, http, context));
}
