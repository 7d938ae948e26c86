using System.Text;

namespace Gateway.Adapters.Tests.EventHubs;

/// <summary>Delivery through Azure.Messaging.EventHubs to a local AMQP 1.0 peer that checks the CBS token and records events.</summary>
public sealed class EventHubsDeliveryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Delivers_the_exact_bytes_with_partition_key_properties_message_id_and_content_type()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        var body = "{\"operatorId\":\"OP0000000001\",\"imsi\":\"001010000000001\",\"payloads\":{\"t\":21.5},\"é\":\"\u00e9\"}";
        var message = EventHubsTestKit.Message(body);

        var results = await EventHubsTestKit.SendAsync(adapter, [message], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        var received = Assert.Single(peer.Events);
        Assert.Equal(Encoding.UTF8.GetBytes(body), received.Body);
        Assert.Equal("funnel", received.Hub);
        Assert.Null(received.PartitionId);
        Assert.Equal("001010000000001", received.PartitionKey);
        Assert.Equal(message.MessageId, received.MessageId);
        Assert.Equal("application/json", received.ContentType);
        Assert.Equal("001010000000001", received.Properties["imsi"]);
        Assert.Equal("353000000000001", received.Properties["imei"]);
        Assert.Equal("8981100000000000001", received.Properties["simId"]);
        Assert.Equal(0, peer.TokensRefused);
        Assert.True(peer.TokensAccepted >= 1);
    }

    [Fact]
    public async Task The_http_form_of_a_local_url_and_the_messages_suffix_reach_the_same_hub()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"http://127.0.0.1:{peer.Port}/funnel/messages");

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal("funnel", Assert.Single(peer.Events).Hub);
    }

    [Fact]
    public async Task Many_devices_in_one_call_each_keep_their_key_and_order()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        var batch = Enumerable.Range(0, 60).Select(i => EventHubsTestKit.Message($"m{i}", imsi: $"00101000000{i % 3:D4}")).ToList();

        var results = await EventHubsTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.Equal(60, peer.Events.Count);
        for (var d = 0; d < 3; d++)
        {
            var imsi = $"00101000000{d:D4}";
            var mine = peer.Events.Where(e => e.PartitionKey == imsi).Select(e => Encoding.UTF8.GetString(e.Body)).ToList();
            Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 3 == d).Select(i => $"m{i}"), mine);
            Assert.All(peer.Events.Where(e => e.PartitionKey == imsi), e => Assert.Equal(imsi, e.Properties["imsi"]));
        }
        // Three devices, three keys: the SDK takes one key per batch, so three transfers.
        Assert.Equal(3, peer.TransferCount);
    }

    [Fact]
    public async Task Without_a_partition_key_when_asked_in_one_batch()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel", ""","partitionKey":false""");
        var batch = Enumerable.Range(0, 30).Select(i => EventHubsTestKit.Message($"m{i}", imsi: $"00101000000{i:D4}")).ToList();

        var results = await EventHubsTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.All(peer.Events, e => Assert.Null(e.PartitionKey));
        Assert.Equal(batch.Select(m => m.MessageId), peer.Events.Select(e => e.MessageId));
        Assert.Equal(1, peer.TransferCount);
    }

    [Fact]
    public async Task A_hub_per_subscriber_from_the_message_target()
    {
        using var peer = EventHubsTestKit.Peer("dev-001010000000002", "dev-001010000000003");
        var url = $"amqp://127.0.0.1:{peer.Port}/dev-#{{imsi}}";
        await using var adapter = EventHubsTestKit.Adapter(url);
        var batch = Enumerable.Range(0, 10).Select(i =>
        {
            var imsi = i % 2 == 0 ? "001010000000002" : "001010000000003";
            return EventHubsTestKit.Message($"m{i}", imsi, target: url.Replace("#{imsi}", imsi, StringComparison.Ordinal));
        }).ToList();

        var results = await EventHubsTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.Equal(5, peer.Events.Count(e => e.Hub == "dev-001010000000002" && e.PartitionKey == "001010000000002"));
        Assert.Equal(5, peer.Events.Count(e => e.Hub == "dev-001010000000003" && e.PartitionKey == "001010000000003"));
    }

    [Fact]
    public async Task A_target_outside_the_namespace_or_missing_is_refused_without_sending()
    {
        using var peer = EventHubsTestKit.Peer("dev-001010000000002");
        var url = $"amqp://127.0.0.1:{peer.Port}/dev-#{{imsi}}";
        await using var adapter = EventHubsTestKit.Adapter(url);

        var results = await EventHubsTestKit.SendAsync(adapter,
            [EventHubsTestKit.Message("a", target: "amqp://10.0.0.1:5672/dev-001010000000002"), EventHubsTestKit.Message("b")], Deadline);

        Assert.Equal(DeliveryResult.Permanent(400, "eventhubs: the message's target is not in this destination's namespace"), results[0]);
        Assert.Equal(DeliveryResult.Permanent(400, "eventhubs: the hub holds #{imsi} but the message names no target"), results[1]);
        Assert.Equal(0, peer.TransferCount);
    }

    [Fact]
    public async Task One_producer_serves_many_calls()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");

        for (var i = 0; i < 5; i++)
            Assert.Equal(DeliveryResult.Ok, (await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message($"m{i}")], Deadline))[0]);

        Assert.Equal(5, peer.Events.Count);
        Assert.Equal(1, peer.TokensAccepted); // one connection, one token (refreshed only near its expiry)
    }
}

/// <summary>With <c>#{imsi}</c> in the hub, producers (one connection each) are bounded: the least recently used idle one is closed.</summary>
public sealed class EventHubsProducerCacheTests
{
    [Fact]
    public async Task Beyond_the_bound_the_least_recently_used_producer_is_closed_and_comes_back_on_demand()
    {
        using var peer = EventHubsTestKit.Peer("d-001010000000001", "d-001010000000002", "d-001010000000003");
        var url = $"amqp://127.0.0.1:{peer.Port}/d-#{{imsi}}";
        var errors = new List<string>();
        var settings = Gateway.Adapters.EventHubs.EventHubsSettings.Parse(EventHubsTestKit.Destination(url), "destination", errors)!;
        await using var adapter = new Gateway.Adapters.EventHubs.EventHubsAdapter(settings, EventHubsTestKit.Policy, EventHubsTestKit.Key, "eh-creds",
            new AdapterContext { LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Http = new HttpMessageInvoker(new SocketsHttpHandler()) },
            maxProducers: 2);
        OutgoingMessage To(int device) => EventHubsTestKit.Message($"to {device}", $"00101000000000{device}", target: url.Replace("#{imsi}", $"00101000000000{device}", StringComparison.Ordinal));

        foreach (var device in new[] { 1, 2, 3, 1 })
            Assert.Equal(DeliveryResult.Ok, (await EventHubsTestKit.SendAsync(adapter, [To(device)], TimeSpan.FromSeconds(30)))[0]);

        Assert.Equal(2, adapter.ProducerCount);
        Assert.Equal(["d-001010000000001", "d-001010000000002", "d-001010000000003", "d-001010000000001"], peer.Events.Select(e => e.Hub));
        // Hub 1's producer was closed for hub 3, hub 2's for hub 1 again: two connections stay open.
        for (var i = 0; i < 50 && peer.OpenConnections > 2; i++)
            await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(2, peer.OpenConnections);
    }
}
