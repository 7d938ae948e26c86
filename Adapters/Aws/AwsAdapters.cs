using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Aws;

/// <summary>What the three AWS factories share when they make an adapter: settings, credentials, region, the signed client.</summary>
internal static class AwsAdapters
{
    public static IFunnelAdapter Create(
        AwsService service,
        FunnelDestination destination,
        AdapterCredentials? credentials,
        AdapterContext context,
        int maxBatchSize,
        int maxMessageBytes,
        Func<AwsSettings, AwsHttp, IFunnelAdapter> make)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.LoggerFactory.CreateLogger(typeof(AwsAdapters));
        var errors = new List<string>();
        var settings = AwsSettings.Parse(destination, service, "destination", errors);
        if (settings is null)
        {
            return Misconfigured(logger, service, "(invalid resourceUrl)", 400, string.Join("; ", errors), maxBatchSize, maxMessageBytes);
        }

        var aws = AwsCredentialTypes.Create(credentials, out var problem);
        if (aws is null)
        {
            return Misconfigured(logger, service, settings.Endpoint.Label, 401, problem!, maxBatchSize, maxMessageBytes);
        }

        var region = settings.Endpoint.Region ?? AwsCredentialTypes.Region(credentials) ?? AwsEndpoint.DefaultRegion;
        if (!AwsEndpoint.IsRegion(region))
        {
            return Misconfigured(logger, service, settings.Endpoint.Label, 400, $"credential set '{credentials!.CredentialsId}': region is not an AWS region name", maxBatchSize, maxMessageBytes);
        }

        return make(settings, new AwsHttp(service, settings.Endpoint, aws, region, settings.Timeout, context));
    }

    private static MisconfiguredAdapter Misconfigured(ILogger logger, AwsService service, string name, int status, string problem, int maxBatchSize, int maxMessageBytes)
    {
        AwsLog.Misconfigured(logger, service.Name, name, problem);
        return new MisconfiguredAdapter(DeliveryResult.Permanent(status, $"{service.Name}: {problem}"), maxBatchSize, maxMessageBytes);
    }
}
