using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Aws;

/// <summary>The AWS adapters' log lines. Destinations are named by service and host, which hold no secret.</summary>
internal static partial class AwsLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel {Service} {Destination}: {Problem}; every message is refused until the configuration changes")]
    public static partial void Misconfigured(ILogger logger, string service, string destination, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel {Service} {Destination}: could not obtain AWS credentials ({Kind} {Code})")]
    public static partial void CredentialsFailed(ILogger logger, string service, string destination, string kind, string? code);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel {Service} {Destination}: {Failed} of {Count} records refused")]
    public static partial void PartialFailure(ILogger logger, string service, string destination, int failed, int count);
}
