using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.EventHubs;

/// <summary>The Event Hubs adapter's log lines. Destinations are named by namespace and hub, which hold no secret.</summary>
internal static partial class EventHubsLog
{
    // The exception's type and reason only: its message is the service's text, kept out of logs that leave the host.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel eventhubs {Namespace}/{Hub}: send of {Count} events failed: {Type} {Reason}")]
    public static partial void SendFailed(ILogger logger, string @namespace, string hub, int count, string type, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel eventhubs {Namespace}/{Hub}: the namespace refused the credentials of set {CredentialsId}")]
    public static partial void Unauthorized(ILogger logger, string @namespace, string hub, string credentialsId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel eventhubs {Destination}: {Problem}; every message is refused until the configuration changes")]
    public static partial void Misconfigured(ILogger logger, string destination, string problem);
}
