using Confluent.Kafka;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// Maps librdkafka's error codes to delivery results. Reasons are fixed texts plus the code's name: librdkafka's own
/// error strings can carry broker addresses and user names, and are for the debug log only.
/// </summary>
internal static class KafkaErrors
{
    public static DeliveryResult Map(ErrorCode code) => code switch
    {
        ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidMsgSize
            => Permanent(413, "the message is larger than the broker or topic accepts", code),
        ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed
            or ErrorCode.TransactionalIdAuthorizationFailed or ErrorCode.PolicyViolation
            => Permanent(403, "the credentials may not write to this topic", code),
        ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed or ErrorCode.UnsupportedSaslMechanism
            or ErrorCode.IllegalSaslState or ErrorCode.UnacceptableCredential
            => Permanent(401, "authentication with the brokers failed (SASL mechanism, user name or password)", code),
        ErrorCode.Local_Ssl
            => Permanent(502, "TLS with the brokers failed (certificate or CA)", code),
        ErrorCode.TopicException or ErrorCode.InvalidRecord or ErrorCode.InvalidTimestamp or ErrorCode.InvalidRequest
            or ErrorCode.UnsupportedForMessageFormat or ErrorCode.UnsupportedCompressionType or ErrorCode.InvalidRequiredAcks
            or ErrorCode.Local_InvalidArg or ErrorCode.Local_BadMsg
            => Permanent(400, "the broker refused the record or topic as invalid", code),
        ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition
            => Permanent(404, "the topic does not exist and the brokers do not create it", code),
        ErrorCode.Local_MsgTimedOut or ErrorCode.RequestTimedOut or ErrorCode.Local_TimedOut
            => Transient(504, "no acknowledgement from the brokers in time", code),
        ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.Local_IsrInsuff
            => Transient(503, "not enough in-sync replicas for acks=all", code),
        ErrorCode.LeaderNotAvailable or ErrorCode.NotLeaderForPartition or ErrorCode.BrokerNotAvailable
            or ErrorCode.ReplicaNotAvailable or ErrorCode.UnknownTopicOrPart or ErrorCode.FencedLeaderEpoch
            or ErrorCode.UnknownLeaderEpoch or ErrorCode.KafkaStorageError
            => Transient(503, "the partition has no available leader", code),
        ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Resolve or ErrorCode.NetworkException
            => Transient(503, "the brokers are unreachable", code),
        ErrorCode.Local_QueueFull or ErrorCode.ThrottlingQuotaExceeded
            => Transient(503, "the producer is busy", code),
        ErrorCode.Local_PurgeQueue or ErrorCode.Local_PurgeInflight or ErrorCode.Local_Destroy
            => Transient(503, "the producer was closed before delivery", code),
        ErrorCode.Local_Fatal or ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId
            or ErrorCode.InvalidProducerEpoch or ErrorCode.ProducerFenced or ErrorCode.InvalidProducerIdMapping
            => Transient(503, "the idempotent producer failed and is being replaced", code),
        _ => Transient(502, "the brokers returned an unexpected error", code),
    };

    /// <summary>Whether an error reported outside any message (librdkafka's error callback) is a failed authentication.</summary>
    public static bool IsAuthentication(ErrorCode code) =>
        code is ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed or ErrorCode.UnsupportedSaslMechanism
            or ErrorCode.IllegalSaslState or ErrorCode.Local_Ssl;

    private static DeliveryResult Permanent(int status, string text, ErrorCode code) =>
        DeliveryResult.Permanent(status, $"kafka: {text} ({code})");

    private static DeliveryResult Transient(int status, string text, ErrorCode code) =>
        DeliveryResult.Transient(status, $"kafka: {text} ({code})");
}
