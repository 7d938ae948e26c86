using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.PubSub;

/// <summary>The Pub/Sub adapter's log lines. Destinations are named by their resource URL, which holds no secret.</summary>
internal static partial class PubSubLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel google/pubsub {Destination}: {Problem}; every message is refused until the configuration changes")]
    public static partial void Misconfigured(ILogger logger, string destination, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel google/pubsub {Destination}: the token endpoint refused the service account (HTTP {Status}, {Code}); sends fail for 30 s without asking again")]
    public static partial void TokenRefused(ILogger logger, string destination, int status, string code);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: no token (HTTP {Status}, {Code})")]
    public static partial void TokenFailed(ILogger logger, string destination, int status, string code);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: the token endpoint is unreachable ({Error})")]
    public static partial void TokenUnreachable(ILogger logger, string destination, System.Net.Http.HttpRequestError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: publish to {Topic} failed: HTTP {Status}")]
    public static partial void PublishFailed(ILogger logger, string destination, string topic, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Funnel google/pubsub {Destination}: publishing to {Endpoint} {Auth}")]
    public static partial void Endpoint(ILogger logger, string destination, Uri endpoint, string auth);
}
