using System.Text;
using Gateway.Adapters.PubSub;
using static Gateway.Adapters.Tests.PubSub.PubSubTestKit;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>Delivery to the real Pub/Sub emulator on loopback, read back with a pull.</summary>
public sealed class PubSubDeliveryTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private const string Project = "funnel-test";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task Delivers_the_exact_bytes_with_identity_message_id_and_content_type_as_attributes(string transport)
    {
        var emulator = fixture.Running;
        var (topic, subscription) = await emulator.CreateAsync(Project, Name("exact"));
        await using var adapter = Adapter(topic, At(emulator.Endpoint, transport));
        var envelope = """{"operatorId":"OP0000000000","payloads":{"temp":21.5,"note":"ä😀\u0000"},"imsi":"001010000000001"}""";
        var binary = new OutgoingMessage
        {
            Body = new byte[] { 0, 1, 2, 0xff, 0xfe, 10, 13 },
            ContentType = "application/octet-stream",
            MessageId = "m-binary",
            Key = Imsi,
            Attributes = [new("imsi", Imsi)],
        };
        var batch = new[] { Message(envelope), Message("{}"), binary };

        var results = await SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var pulled = await emulator.PullAsync(subscription, 3, TimeSpan.FromSeconds(30));
        Assert.Equal(3, pulled.Count);
        foreach (var sent in batch)
        {
            var got = Assert.Single(pulled, p => p.Attributes["messageId"] == sent.MessageId);
            Assert.Equal(sent.Body.ToArray(), got.Data);
            var expected = sent.Attributes.ToDictionary(a => a.Key, a => a.Value);
            expected["messageId"] = sent.MessageId;
            expected["contentType"] = sent.ContentType;
            Assert.Equal(expected.OrderBy(a => a.Key), got.Attributes.OrderBy(a => a.Key));
            Assert.Null(got.OrderingKey); // none by default
        }
        Assert.Equal(Encoding.UTF8.GetBytes(envelope), pulled.Single(p => p.Attributes["messageId"] == batch[0].MessageId).Data);
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task Ordering_key_imsi_puts_the_imsi_in_each_message(string transport)
    {
        var emulator = fixture.Running;
        var (topic, subscription) = await emulator.CreateAsync(Project, Name("ordered"), ordered: true);
        await using var adapter = Adapter(topic, At(emulator.Endpoint, transport, ""","orderingKey":"imsi" """));

        var results = await SendAsync(adapter, [Message("a"), Message("b", imsi: "001010000000002")], Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var pulled = await emulator.PullAsync(subscription, 2, TimeSpan.FromSeconds(30));
        Assert.Equal(["001010000000001", "001010000000002"], pulled.Select(p => p.OrderingKey).Order());
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task Per_subscriber_topic_from_the_target_and_a_topic_in_the_url_form(string transport)
    {
        var emulator = fixture.Running;
        var prefix = Name("dev");
        var (topic1, sub1) = await emulator.CreateAsync(Project, $"{prefix}-001010000000001");
        var (_, sub2) = await emulator.CreateAsync(Project, $"{prefix}-001010000000002");
        var url = $"{emulator.Endpoint}/v1/projects/{Project}/topics/{prefix}-#{{imsi}}";
        await using var adapter = Adapter(url, $$""","transport":"{{transport}}" """);

        var batch = new[]
        {
            Message("one", target: url.Replace("#{imsi}", "001010000000001", StringComparison.Ordinal)),
            Message("two", imsi: "001010000000002", target: url.Replace("#{imsi}", "001010000000002", StringComparison.Ordinal)),
            Message("one again", target: url.Replace("#{imsi}", "001010000000001", StringComparison.Ordinal)),
            Message("elsewhere", target: "http://127.0.0.1:1/v1/projects/x/topics/other"),
            Message("no target"),
        };
        var results = await SendAsync(adapter, batch, Deadline);

        Assert.Equal([DeliveryResult.Ok, DeliveryResult.Ok, DeliveryResult.Ok], results[..3]);
        Assert.Equal((DeliveryOutcome.Permanent, 400), (results[3].Outcome, results[3].Status));
        Assert.Equal((DeliveryOutcome.Permanent, 400), (results[4].Outcome, results[4].Status));
        Assert.Equal(["one", "one again"], (await emulator.PullAsync(sub1, 2, TimeSpan.FromSeconds(30))).Select(p => Encoding.UTF8.GetString(p.Data)).Order());
        Assert.Equal(["two"], (await emulator.PullAsync(sub2, 1, TimeSpan.FromSeconds(30))).Select(p => Encoding.UTF8.GetString(p.Data)));
        Assert.StartsWith($"projects/{Project}/topics/", topic1, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task A_topic_that_does_not_exist_is_permanent_404_naming_it(string transport)
    {
        var emulator = fixture.Running;
        var topic = $"projects/{Project}/topics/{Name("missing")}";
        await using var adapter = Adapter(topic, At(emulator.Endpoint, transport));

        var results = await SendAsync(adapter, [Message("x"), Message("y")], Deadline);

        Assert.All(results, r =>
        {
            Assert.Equal((DeliveryOutcome.Permanent, 404), (r.Outcome, r.Status));
            Assert.Equal($"google/pubsub: topic {topic} not found", r.Reason);
        });
    }

    [Fact]
    public async Task Pubsub_emulator_host_points_a_destination_without_endpoint_at_the_emulator()
    {
        var emulator = fixture.Running;
        var (topic, subscription) = await emulator.CreateAsync(Project, Name("envhost"));
        var factory = new PubSubAdapterFactory(name => name == "PUBSUB_EMULATOR_HOST" ? $"127.0.0.1:{emulator.Port}" : null);
        await using var adapter = Adapter(topic, factory: factory);

        var results = await SendAsync(adapter, [Message("via env")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal("via env", Encoding.UTF8.GetString(Assert.Single(await emulator.PullAsync(subscription, 1, TimeSpan.FromSeconds(30))).Data));
    }

    [Fact]
    public async Task A_bare_topic_id_takes_the_project_of_the_service_account_and_plain_http_sends_no_token()
    {
        var emulator = fixture.Running;
        var name = Name("bare");
        var (_, subscription) = await emulator.CreateAsync("sa-project", name);
        using var key = ServiceAccounts.NewKey();
        // token_uri points at a port nothing listens on: a token request would fail the send.
        var credentials = ServiceAccounts.Credentials(key, "http://127.0.0.1:1/token", project: "sa-project");
        await using var adapter = Adapter(name, $$""","endpoint":"{{emulator.Endpoint}}" """, credentials);

        var results = await SendAsync(adapter, [Message("bare")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Single(await emulator.PullAsync(subscription, 1, TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task A_full_batch_of_1000_goes_in_one_call_and_every_message_arrives(string transport)
    {
        var emulator = fixture.Running;
        var (topic, subscription) = await emulator.CreateAsync(Project, Name("bulk"));
        await using var adapter = Adapter(topic, At(emulator.Endpoint, transport));
        Assert.Equal(1000, adapter.MaxBatchSize);
        var batch = Enumerable.Range(0, adapter.MaxBatchSize).Select(i => Message($"{{\"n\":{i}}}")).ToArray();

        var results = await SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        var pulled = await emulator.PullAsync(subscription, batch.Length, TimeSpan.FromSeconds(60));
        Assert.Equal(batch.Select(m => m.MessageId).Order(), pulled.Select(p => p.Attributes["messageId"]).Order());
    }

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task An_oversized_message_is_refused_413_without_sending_and_the_rest_is_delivered(string transport)
    {
        var emulator = fixture.Running;
        var (topic, subscription) = await emulator.CreateAsync(Project, Name("oversize"));
        await using var adapter = Adapter(topic, At(emulator.Endpoint, transport));
        Assert.Equal(transport == "grpc" ? 9_500_000 : 7_000_000, adapter.MaxMessageBytes);
        var big = new OutgoingMessage { Body = new byte[adapter.MaxMessageBytes + 1], MessageId = "big" };

        var results = await SendAsync(adapter, [big, Message("small")], Deadline);

        Assert.Equal((DeliveryOutcome.Permanent, 413), (results[0].Outcome, results[0].Status));
        Assert.Equal(DeliveryResult.Ok, results[1]);
        Assert.Equal("small", Encoding.UTF8.GetString(Assert.Single(await emulator.PullAsync(subscription, 1, TimeSpan.FromSeconds(30))).Data));
    }
}
