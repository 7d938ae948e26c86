namespace Gateway.Adapters.Kafka;

/// <summary>
/// librdkafka's <c>message.timeout.ms</c> under the gateway's delivery deadline. librdkafka keeps a message it could not
/// deliver, retrying, until that timeout, even after the adapter's caller gave up on it; if the timeout ended after
/// the gateway's deadline, a message the device was told failed (5xx, no PUBACK) could still reach the topic, and the
/// device's retry would put it there twice under another messageId. So the timeout ends a margin before the deadline.
/// </summary>
/// <remarks>
/// What is left, because librdkafka allows no more: (1) its clock starts when the adapter produces the message, the
/// gateway's when the message arrived, so a message that waited in the dispatcher's queue (batch window, busy slots,
/// a retry's backoff) longer than the margin is timed out by librdkafka up to that much after the device's answer;
/// (2) librdkafka finds timed-out messages about once a second, so with a deadline of a few seconds the margin may not
/// cover that second; (3) a produce request already sent when librdkafka's timeout fires cannot be called back: the broker may still write
/// it (librdkafka reports it "possibly persisted"). Consumers that must not see duplicates drop them by the record's
/// <c>message-id</c> header and the device's own data.
/// </remarks>
internal static class KafkaMessageTimeout
{
    /// <summary>
    /// The margin is a tenth of the deadline, at least two seconds but never more than half of it: librdkafka looks for
    /// timed-out messages about once a second, so one may outlive its timeout by up to a second.
    /// </summary>
    public static int MarginMs(int deadlineMs) => Math.Max(deadlineMs / 10, Math.Min(2_000, deadlineMs / 2));

    /// <summary>
    /// The timeout: without a deadline, the configured one or the default; with one, the configured one if it ends a
    /// margin before the deadline, else (and by default) the deadline less the margin, with
    /// <paramref name="clamped"/> true when a configured value was shortened.
    /// </summary>
    public static int For(KafkaSettings settings, TimeSpan? deadline, out bool clamped)
    {
        ArgumentNullException.ThrowIfNull(settings);
        clamped = false;
        if (deadline is not { } d)
            return settings.DeliveryTimeoutMs ?? KafkaSettings.DefaultDeliveryTimeoutMs;
        var deadlineMs = (int)Math.Min(d.TotalMilliseconds, int.MaxValue);
        // librdkafka refuses a message.timeout.ms not above linger.ms (and 0 means "never").
        var cap = Math.Max(deadlineMs - MarginMs(deadlineMs), settings.LingerMs + 1);
        if (settings.DeliveryTimeoutMs is not { } configured)
            return cap;
        clamped = configured > cap;
        return Math.Min(configured, cap);
    }
}
