using System.Text;
using Confluent.Kafka;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>Delivery to librdkafka's mock cluster in a process of its own, read back by a real consumer.</summary>
public sealed class KafkaDeliveryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Delivers_the_exact_bytes_key_headers_and_timestamp()
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/funnel", ""","compression":"lz4","lingerMs":1""");
        var body = "{\"imsi\":\"001010000000001\",\"payloads\":{\"t\":21.5},\"é\":\"\u00e9\"}\n";
        var message = KafkaTestKit.Message(body);

        var results = await KafkaTestKit.SendAsync(adapter, [message], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        var read = Assert.Single(KafkaReader.Read(mock.Bootstrap, "funnel", 1, Deadline));
        Assert.Equal(Encoding.UTF8.GetBytes(body), read.Message.Value);
        Assert.Equal("001010000000001", read.Message.Key);
        Assert.Equal("001010000000001", read.Header("imsi"));
        Assert.Equal("353000000000001", read.Header("imei"));
        Assert.Equal("application/json", read.Header("content-type"));
        Assert.Equal(message.MessageId, read.Header("message-id"));
        Assert.Equal(1_700_000_000_000, read.Message.Timestamp.UnixTimestampMs);
    }

    [Fact]
    public async Task A_batch_goes_to_each_subscribers_topic_in_order_per_key()
    {
        await using var mock = await MockKafka.StartAsync();
        var url = $"kafka://{mock.Bootstrap}/dev.#{{imsi}}";
        await using var adapter = KafkaTestKit.Adapter(url);
        var batch = Enumerable.Range(0, 20)
            .Select(i => KafkaTestKit.Message($"m{i}", imsi: i % 2 == 0 ? "001010000000002" : "001010000000003",
                target: url.Replace("#{imsi}", i % 2 == 0 ? "001010000000002" : "001010000000003", StringComparison.Ordinal)))
            .ToList();

        var results = await KafkaTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var even = KafkaReader.Read(mock.Bootstrap, "dev.001010000000002", 10, Deadline);
        var odd = KafkaReader.Read(mock.Bootstrap, "dev.001010000000003", 10, Deadline);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{2 * i}"), even.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{2 * i + 1}"), odd.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
        Assert.All(even, r => Assert.Equal("001010000000002", r.Message.Key));
    }

    [Fact]
    public async Task Random_partition_keys_when_asked()
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/random", ""","randomizePartitionKey":true""");
        var batch = Enumerable.Range(0, 40).Select(i => KafkaTestKit.Message($"m{i}")).ToList();

        var results = await KafkaTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var read = KafkaReader.Read(mock.Bootstrap, "random", 40, Deadline);
        Assert.Equal(40, read.Count);
        Assert.Equal(40, read.Select(r => r.Message.Key).Distinct().Count());
        Assert.DoesNotContain(read, r => r.Message.Key == "001010000000001");
        // 40 random keys over the mock's 4 partitions: all on one partition has odds of about 4 in 10^24.
        Assert.True(read.Select(r => r.Partition.Value).Distinct().Count() > 1);
    }

    [Fact]
    public async Task No_key_without_an_imsi_and_raw_bytes_keep_their_content_type()
    {
        await using var mock = await MockKafka.StartAsync();
        await using var adapter = KafkaTestKit.Adapter($"kafka://{mock.Bootstrap}/raw");
        var bytes = new byte[] { 0, 1, 2, 0xff, 0xfe, 10, 13 };
        var message = new OutgoingMessage
        {
            Body = new ReadOnlyMemory<byte>([9, .. bytes, 9], 1, bytes.Length), // a slice, not a whole array
            ContentType = "application/octet-stream",
            MessageId = "m-1",
        };

        var results = await KafkaTestKit.SendAsync(adapter, [message], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        var read = Assert.Single(KafkaReader.Read(mock.Bootstrap, "raw", 1, Deadline));
        Assert.Equal(bytes, read.Message.Value);
        Assert.Null(read.Message.Key);
        Assert.Equal("application/octet-stream", read.Header("content-type"));
        Assert.Equal("m-1", read.Header("message-id"));
    }

    [Fact]
    public async Task A_target_on_other_brokers_or_an_unreplaced_imsi_is_refused_before_sending()
    {
        await using var mock = await MockKafka.StartAsync();
        var url = $"kafka://{mock.Bootstrap}/t.#{{imsi}}";
        await using var adapter = KafkaTestKit.Adapter(url);

        var results = await KafkaTestKit.SendAsync(adapter,
            [KafkaTestKit.Message("a", target: "kafka://elsewhere:9092/t.1"), KafkaTestKit.Message("b"),
             KafkaTestKit.Message("c", target: url.Replace("#{imsi}", "x/y", StringComparison.Ordinal))], Deadline);

        Assert.All(results, r => Assert.Equal((DeliveryOutcome.Permanent, 400), (r.Outcome, r.Status)));
    }

    [Fact]
    public async Task The_bundled_librdkafka_is_the_one_loaded()
    {
        await using var adapter = KafkaTestKit.Adapter("kafka://127.0.0.1:9/t");
        Assert.Equal("2.16.0", Library.VersionString);
    }
}
