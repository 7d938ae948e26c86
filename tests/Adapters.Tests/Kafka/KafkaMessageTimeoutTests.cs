using System.Text;
using Gateway.Adapters.Kafka;
using Gateway.Adapters.Tests.EventHubs;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>
/// librdkafka's <c>message.timeout.ms</c> ends before the gateway's delivery deadline, so a message the device was told
/// failed is not delivered afterwards (issue #14): the producer configuration the factory makes, the warning when a
/// configured <c>deliveryTimeoutMs</c> is cut, and, on the mock cluster, a message refused while the broker was down
/// that is not in the topic once the broker is up.
/// </summary>
public sealed class KafkaMessageTimeoutTests
{
    private static KafkaSettings Settings(string extra = "")
    {
        var errors = new List<string>();
        var settings = KafkaSettings.Parse(KafkaTestKit.Destination("kafka://h:9092/t", extra), "d", errors);
        Assert.Empty(errors);
        return settings!;
    }

    [Theory]
    [InlineData(null, "", 30_000, false)] // no deadline known: librdkafka's default as before
    [InlineData(null, ",\"deliveryTimeoutMs\":60000", 60_000, false)]
    [InlineData(30, "", 27_000, false)] // the default: a tenth before the deadline
    [InlineData(30, ",\"deliveryTimeoutMs\":10000", 10_000, false)] // shorter than needed: kept
    [InlineData(30, ",\"deliveryTimeoutMs\":27000", 27_000, false)]
    [InlineData(30, ",\"deliveryTimeoutMs\":27001", 27_000, true)]
    [InlineData(30, ",\"deliveryTimeoutMs\":300000", 27_000, true)]
    [InlineData(5, "", 3_000, false)] // at least two seconds' margin
    [InlineData(2, "", 1_000, false)]
    [InlineData(1, "", 500, false)] // but never more than half the deadline
    [InlineData(1, ",\"deliveryTimeoutMs\":1000", 500, true)]
    [InlineData(1, ",\"lingerMs\":1000", 1_001, false)] // librdkafka wants it above linger.ms
    public void The_timeout_ends_before_the_deadline(int? deadlineSeconds, string extra, int expected, bool clamped)
    {
        TimeSpan? deadline = deadlineSeconds is { } s ? TimeSpan.FromSeconds(s) : null;

        Assert.Equal(expected, KafkaMessageTimeout.For(Settings(extra), deadline, out var wasClamped));
        Assert.Equal(clamped, wasClamped);
    }

    private static KafkaAdapter Create(string resourceUrl, string extra, TimeSpan? deadline, CapturingLoggerFactory logs) =>
        (KafkaAdapter)KafkaTestKit.Factory.Create(KafkaTestKit.Destination(resourceUrl, extra), null, new AdapterContext
        {
            LoggerFactory = logs,
            Http = new HttpMessageInvoker(new SocketsHttpHandler()),
            DeliveryDeadline = deadline,
        });

    [Fact]
    public async Task The_factory_cuts_a_configured_timeout_to_the_deadline_and_says_so()
    {
        var logs = new CapturingLoggerFactory();
        await using var adapter = Create("kafka://127.0.0.1:9/cut", ",\"deliveryTimeoutMs\":60000", TimeSpan.FromSeconds(30), logs);

        Assert.Equal(27_000, adapter.Config.MessageTimeoutMs);
        Assert.Equal(TimeSpan.FromSeconds(27), ((IFunnelAdapter)adapter).KeepsMessagesFor);
        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("kafka://127.0.0.1:9/cut: deliveryTimeoutMs 60000", warning, StringComparison.Ordinal);
        Assert.Contains("Gateway:Funnel:DeliveryTimeoutSeconds (30 s)", warning, StringComparison.Ordinal);
        Assert.Contains("message.timeout.ms is 27000 ms", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_follows_the_deadline_without_a_warning()
    {
        var logs = new CapturingLoggerFactory();
        await using var adapter = Create("kafka://127.0.0.1:9/default", string.Empty, TimeSpan.FromSeconds(10), logs);

        Assert.Equal(8_000, adapter.Config.MessageTimeoutMs);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_that_failed_while_the_broker_was_down_is_not_in_the_topic_once_it_is_up()
    {
        var port = MockKafka.FreePort();
        // The gateway's deadline of 6 s gives librdkafka 4 s (found timed out within a second more, so a 2 s margin;
        // a 3 s deadline's 1.5 s margin was overrun once on a machine at load 14).
        await using var adapter = Create($"kafka://127.0.0.1:{port}/late", string.Empty, TimeSpan.FromSeconds(6), new CapturingLoggerFactory());

        var refused = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("refused")], TimeSpan.FromSeconds(6));
        Assert.Equal((DeliveryOutcome.Transient, 504), (refused[0].Outcome, refused[0].Status));
        // librdkafka's own timeout, not the caller's token: it no longer holds the message.
        Assert.DoesNotContain("before the deadline", refused[0].Reason, StringComparison.Ordinal);

        await using var mock = await MockKafka.StartAsync(port);
        var after = KafkaTestKit.Message("after");
        for (var i = 0; i < 20 && (await KafkaTestKit.SendAsync(adapter, [after], TimeSpan.FromSeconds(3)))[0] != DeliveryResult.Ok; i++)
        {
        }

        // Same key, same partition, one producer: had librdkafka kept "refused", it would be there before "after".
        var read = KafkaReader.Read(mock.Bootstrap, "late", r => r.Exists(IsAfter), TimeSpan.FromSeconds(60));
        Assert.Contains(read, IsAfter);
        Assert.DoesNotContain(read, r => Encoding.UTF8.GetString(r.Message.Value) == "refused");

        static bool IsAfter(Confluent.Kafka.ConsumeResult<string, byte[]> r) => Encoding.UTF8.GetString(r.Message.Value) == "after";
    }
}
