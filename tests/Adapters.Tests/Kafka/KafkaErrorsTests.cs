using Confluent.Kafka;
using Gateway.Adapters.Kafka;

namespace Gateway.Adapters.Tests.Kafka;

public sealed class KafkaErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.Local_AllBrokersDown, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.Local_Transport, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.Local_MsgTimedOut, DeliveryOutcome.Transient, 504)]
    [InlineData(ErrorCode.RequestTimedOut, DeliveryOutcome.Transient, 504)]
    [InlineData(ErrorCode.NotEnoughReplicas, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.NotEnoughReplicasAfterAppend, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.LeaderNotAvailable, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.Local_QueueFull, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.Local_Fatal, DeliveryOutcome.Transient, 503)]
    [InlineData(ErrorCode.MsgSizeTooLarge, DeliveryOutcome.Permanent, 413)]
    [InlineData(ErrorCode.RecordListTooLarge, DeliveryOutcome.Permanent, 413)]
    [InlineData(ErrorCode.TopicAuthorizationFailed, DeliveryOutcome.Permanent, 403)]
    [InlineData(ErrorCode.TopicException, DeliveryOutcome.Permanent, 400)]
    [InlineData(ErrorCode.SaslAuthenticationFailed, DeliveryOutcome.Permanent, 401)]
    [InlineData(ErrorCode.Local_Authentication, DeliveryOutcome.Permanent, 401)]
    [InlineData(ErrorCode.Local_UnknownTopic, DeliveryOutcome.Permanent, 404)]
    [InlineData(ErrorCode.GroupAuthorizationFailed, DeliveryOutcome.Transient, 502)]
    public void Codes_map_to_outcomes_with_readable_reasons(ErrorCode code, DeliveryOutcome outcome, int status)
    {
        var result = KafkaErrors.Map(code);
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(status, result.Status);
        Assert.StartsWith("kafka: ", result.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"({code})", result.Reason, StringComparison.Ordinal);
    }
}
