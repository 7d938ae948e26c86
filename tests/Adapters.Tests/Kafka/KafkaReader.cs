using Confluent.Kafka;
using Gateway.Adapters.Kafka;

namespace Gateway.Adapters.Tests.Kafka;

/// <summary>Reads a topic back from its beginning with a real Confluent consumer.</summary>
internal static class KafkaReader
{
    public static List<ConsumeResult<string, byte[]>> Read(string bootstrap, string topic, int count, TimeSpan timeout) =>
        Read(bootstrap, topic, read => read.Count >= count, timeout);

    /// <summary>Reads until <paramref name="done"/> says so or the time is up.</summary>
    public static List<ConsumeResult<string, byte[]>> Read(string bootstrap, string topic,
        Func<List<ConsumeResult<string, byte[]>>, bool> done, TimeSpan timeout)
    {
        KafkaNativeLibrary.Pin();
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Assign(Partitions(bootstrap, topic).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var read = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        while (!done(read) && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result is { IsPartitionEOF: false, Message: not null })
                read.Add(result);
        }
        consumer.Close();
        return read;
    }

    private static List<Partition> Partitions(string bootstrap, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(30));
        return metadata.Topics.Single().Partitions.Select(p => new Partition(p.PartitionId)).ToList();
    }

    public static string Header(this ConsumeResult<string, byte[]> result, string name) =>
        System.Text.Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(name));
}
