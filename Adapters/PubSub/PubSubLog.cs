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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: publish to {Topic} answered HTTP {Status}")]
    public static partial void PublishRefused(ILogger logger, string destination, string topic, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: publish to {Topic} answered {Status}")]
    public static partial void PublishRefusedGrpc(ILogger logger, string destination, string topic, Grpc.Core.StatusCode status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel google/pubsub {Destination}: publish to {Topic} found no connection ({Error})")]
    public static partial void PublishUnreachable(ILogger logger, string destination, string topic, System.Net.Http.HttpRequestError error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Funnel google/pubsub {Destination}: publishing to {Endpoint} over {Transport} {Auth}")]
    public static partial void Endpoint(ILogger logger, string destination, Uri endpoint, string transport, string auth);
}
