using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Kafka;

/// <summary>The Kafka adapter's log lines. Destinations are named by their resource URL, which holds no secret.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel kafka {Destination}: the producer failed fatally ({Code}); a new one is made for the next batch")]
    public static partial void ProducerFailed(ILogger logger, string destination, ErrorCode code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel kafka {Destination}: the brokers refused the connection's authentication ({Code})")]
    public static partial void AuthenticationFailed(ILogger logger, string destination, ErrorCode code);

    // librdkafka reports every failed connection here and retries by itself: a debug line, the dispatcher counts failures.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel kafka {Destination}: {Code} {Reason}")]
    public static partial void ClientError(ILogger logger, string destination, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Funnel kafka {Destination}: librdkafka {Facility}: {Text}")]
    public static partial void Librdkafka(ILogger logger, string destination, string facility, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel kafka {Destination}: deliveryTimeoutMs {Configured} does not end before Gateway:Funnel:DeliveryTimeoutSeconds ({DeadlineSeconds} s), after which the device is told the message failed; librdkafka's message.timeout.ms is {Effective} ms instead, so such a message is not delivered afterwards")]
    public static partial void TimeoutClamped(ILogger logger, string destination, int configured, double deadlineSeconds, int effective);

    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel kafka {Destination}: {Problem}; every message is refused until the configuration changes")]
    public static partial void Misconfigured(ILogger logger, string destination, string problem);
}
