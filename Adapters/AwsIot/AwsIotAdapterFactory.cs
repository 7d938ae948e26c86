using Gateway.Adapters.Aws;

namespace Gateway.Adapters.AwsIot;

/// <summary>
/// SORACOM's AWS IoT destination, <c>{"provider": "aws", "service": "aws-iot", "resourceUrl":
/// "&lt;id&gt;-ats.iot.&lt;region&gt;.amazonaws.com/&lt;topic&gt;"}</c> (scheme optional, <c>#{imsi}</c> allowed in the topic),
/// keys <c>payloadsOnly</c>, <c>sendPayloadsAsBinary</c> (the device's raw bytes as the message) and
/// <c>timeoutSeconds</c>; credential sets <c>aws-credentials</c> or <c>aws-iam-role-credentials</c>. Each message is
/// one HTTPS publish (<c>POST /topics/&lt;topic&gt;?qos=1</c>, SigV4 service <c>iotdata</c>). See <c>Adapters/AwsIot/README.md</c>.
/// </summary>
public sealed class AwsIotAdapterFactory : IFunnelAdapterFactory
{
    /// <inheritdoc/>
    public string Provider => "aws";

    /// <inheritdoc/>
    public string Service => AwsService.Iot.Name;

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes => AwsCredentialTypes.All;

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        AwsSettings.Parse(destination, AwsService.Iot, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context) =>
        AwsAdapters.Create(
            AwsService.Iot, destination, credentials, context, 1, AwsIotAdapter.MaxPayloadBytes,
            (settings, http) => new AwsIotAdapter(settings, http));
}
