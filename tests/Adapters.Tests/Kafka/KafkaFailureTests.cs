using System.Text;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>Brokers that are down, go away, or refuse: results say Transient or Permanent, and nothing hangs.</summary>
public sealed class KafkaFailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Brokers_down_at_start_give_transient_results_by_the_deadline()
    {
        await using var adapter = KafkaTestKit.Adapter($"kafka://127.0.0.1:{MockKafka.FreePort()}/down");

        var results = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("a"), KafkaTestKit.Message("b")], TimeSpan.FromSeconds(5));

        Assert.All(results, r => Assert.Equal((DeliveryOutcome.Transient, 504), (r.Outcome, r.Status)));
    }

    [Fact]
    public async Task A_killed_broker_gives_transient_results_and_a_restarted_one_takes_messages_again()
    {
        var port = MockKafka.FreePort();
        var mock = await MockKafka.StartAsync(port);
        await using var adapter = KafkaTestKit.Adapter($"kafka://127.0.0.1:{port}/restart");
        Assert.Equal(DeliveryResult.Ok, (await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("before")], Deadline))[0]);

        var sending = KafkaTestKit.SendAsync(adapter, Enumerable.Range(0, 50).Select(i => KafkaTestKit.Message($"during{i}")).ToList(), TimeSpan.FromSeconds(5));
        await mock.KillAsync();
        await mock.DisposeAsync();
        var during = await sending;
        var down = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("down")], TimeSpan.FromSeconds(5));

        Assert.All(during, r => Assert.NotEqual(DeliveryOutcome.Permanent, r.Outcome));
        Assert.Equal(DeliveryOutcome.Transient, down[0].Outcome);

        await using var again = await MockKafka.StartAsync(port);
        var after = await RetryUntilDeliveredAsync(adapter, KafkaTestKit.Message("after"));
        Assert.Equal(DeliveryResult.Ok, after);
        // Messages librdkafka still held when the broker died may arrive too (the caller was told Transient).
        static bool IsAfter(Confluent.Kafka.ConsumeResult<string, byte[]> r) => Encoding.UTF8.GetString(r.Message.Value) == "after";
        Assert.Contains(KafkaReader.Read(again.Bootstrap, "restart", read => read.Exists(IsAfter), Deadline), IsAfter);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_permanent_413()
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/big");
        var big = new OutgoingMessage { Body = new byte[2_000_000], MessageId = "big" };

        var results = await KafkaTestKit.SendAsync(adapter, [big, KafkaTestKit.Message("small")], Deadline);

        Assert.Equal((DeliveryOutcome.Permanent, 413), (results[0].Outcome, results[0].Status));
        Assert.Equal(DeliveryResult.Ok, results[1]);
    }

    [Theory]
    [InlineData(10, DeliveryOutcome.Permanent, 413, true)] // MESSAGE_TOO_LARGE: the topic's max.message.bytes is lower
    [InlineData(87, DeliveryOutcome.Permanent, 400, true)] // INVALID_RECORD
    [InlineData(29, DeliveryOutcome.Permanent, 403, false)] // TOPIC_AUTHORIZATION_FAILED: librdkafka then fails the topic until its metadata changes
    public async Task A_produce_request_the_broker_refuses_is_permanent(int brokerError, DeliveryOutcome outcome, int status, bool nextDelivered)
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/refused");
        Assert.Equal(DeliveryResult.Ok, (await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("first")], Deadline))[0]);
        Assert.Equal("ok", await mock.CommandAsync($"error 0 {brokerError}")); // the next Produce request fails

        var results = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("refused")], Deadline);

        Assert.Equal((outcome, status), (results[0].Outcome, results[0].Status));
        if (nextDelivered)
            Assert.Equal(DeliveryResult.Ok, await RetryUntilDeliveredAsync(adapter, KafkaTestKit.Message("next")));
    }

    [Fact]
    public async Task Not_enough_replicas_for_a_while_is_retried_by_the_producer_and_delivered()
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/isr");
        Assert.Equal(DeliveryResult.Ok, (await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("first")], Deadline))[0]);
        Assert.Equal("ok", await mock.CommandAsync("error 0 19 3")); // NOT_ENOUGH_REPLICAS three times

        var results = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("second")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
    }

    [Fact]
    public async Task Brokers_that_refuse_sasl_give_permanent_401_without_the_password()
    {
        await using var mock = await MockKafka.StartAsync(); // the mock speaks no SASL: the handshake fails
        var credentials = new AdapterCredentials
        {
            CredentialsId = "kafka-1",
            Type = "kafka-credentials",
            Values = new() { ["username"] = "alice", ["password"] = "hunter2", ["saslMechanism"] = "PLAIN" },
        };
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/sasl", credentials: credentials);

        var results = await KafkaTestKit.SendAsync(adapter, [KafkaTestKit.Message("a")], Deadline);

        Assert.Equal((DeliveryOutcome.Permanent, 401), (results[0].Outcome, results[0].Status));
        Assert.DoesNotContain("hunter2", results[0].Reason, StringComparison.Ordinal);
    }

    /// <summary>Sends as the dispatcher would after a transient failure: again, a few times, until delivered.</summary>
    private static async Task<DeliveryResult> RetryUntilDeliveredAsync(IFunnelAdapter adapter, OutgoingMessage message)
    {
        var result = default(DeliveryResult);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            result = (await KafkaTestKit.SendAsync(adapter, [message], TimeSpan.FromSeconds(15)))[0];
            if (result.Outcome != DeliveryOutcome.Transient)
                return result;
        }
        return result;
    }
}
