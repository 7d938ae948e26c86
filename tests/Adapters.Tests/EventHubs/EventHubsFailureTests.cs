using System.Diagnostics;
using System.Text;

namespace Gateway.Adapters.Tests.EventHubs;

/// <summary>What the service's refusals and outages become: Transient or Permanent, with reasons an operator can act on and no secret.</summary>
public sealed class EventHubsFailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_unknown_hub_is_permanent_404_naming_the_hub()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/nohub");

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);

        Assert.Equal(DeliveryOutcome.Permanent, results[0].Outcome);
        Assert.Equal(404, results[0].Status);
        Assert.Contains("event hub nohub not found", results[0].Reason, StringComparison.Ordinal);
        Assert.Empty(peer.Events);
    }

    [Fact]
    public async Task A_bad_key_is_permanent_401_and_the_key_reaches_no_reason_and_no_log()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        var logs = new CapturingLoggerFactory();
        const string WrongKey = "d3Jvbmcta2V5LXRoYXQtbXVzdC1uZXZlci1sZWFrLTA=";
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel",
            credentials: EventHubsTestKit.Credentials(key: WrongKey), logs: logs);

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x"), EventHubsTestKit.Message("y")], Deadline);

        Assert.All(results, r =>
        {
            Assert.Equal(DeliveryOutcome.Permanent, r.Outcome);
            Assert.Equal(401, r.Status);
            Assert.DoesNotContain(WrongKey, r.Reason, StringComparison.Ordinal);
        });
        Assert.Contains("signature does not match the key", peer.TokenProblems);
        Assert.Empty(peer.Events);
        Assert.Contains(logs.Lines, l => l.Contains("refused the credentials of set eh-creds", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(WrongKey, StringComparison.Ordinal) || l.Contains(EventHubsTestKit.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_policy_name_is_refused_too()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel", credentials: EventHubsTestKit.Credentials(policy: "other"));

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);

        Assert.Equal(401, results[0].Status);
        Assert.Contains("unknown key name", peer.TokenProblems);
    }

    [Fact]
    public async Task Server_busy_is_transient_503_and_the_next_send_is_delivered()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        peer.Busy(10); // more than the SDK's own single retry

        var busy = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);
        peer.Busy(0);
        var after = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("y")], Deadline);

        Assert.Equal(DeliveryResult.Transient(503, "eventhubs: the namespace is busy (throttled) (ServiceBusy)"), busy[0]);
        Assert.Equal(DeliveryResult.Ok, after[0]);
        Assert.Equal("y", Encoding.UTF8.GetString(Assert.Single(peer.Events).Body));
    }

    [Fact]
    public async Task Server_busy_once_is_absorbed_by_the_sdks_single_quick_retry()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        peer.Busy(1);

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal(2, peer.TransferCount);
    }

    [Fact]
    public async Task A_peer_down_at_start_is_transient_and_delivery_resumes_when_it_comes_up()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        var port = peer.Port;
        peer.Stop();
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{port}/funnel");

        var watch = Stopwatch.StartNew();
        var down = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);
        watch.Stop();
        peer.Start(port);
        var up = await SendUntilDeliveredAsync(adapter, "y");

        Assert.Equal(DeliveryOutcome.Transient, down[0].Outcome);
        Assert.InRange(down[0].Status, 502, 504);
        Assert.StartsWith("eventhubs: ", down[0].Reason, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"a refused connection took {watch.Elapsed}");
        Assert.Equal(DeliveryResult.Ok, up);
        Assert.Equal("y", Encoding.UTF8.GetString(Assert.Single(peer.Events).Body));
    }

    [Fact]
    public async Task A_peer_that_goes_down_mid_stream_fails_transient_and_delivery_resumes_on_the_same_adapter()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        var port = peer.Port;
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{port}/funnel");
        Assert.Equal(DeliveryResult.Ok, (await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("before")], Deadline))[0]);

        peer.Stop();
        var down = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("while down")], Deadline);
        peer.Start(port);
        var up = await SendUntilDeliveredAsync(adapter, "after");

        Assert.Equal(DeliveryOutcome.Transient, down[0].Outcome);
        Assert.Equal(DeliveryResult.Ok, up);
        Assert.Equal(["before", "after"], peer.Events.Select(e => Encoding.UTF8.GetString(e.Body)));
    }

    [Fact]
    public async Task A_slow_peer_is_bounded_by_the_callers_token()
    {
        using var peer = EventHubsTestKit.Peer("funnel");
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        Assert.Equal(DeliveryResult.Ok, (await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("warm")], Deadline))[0]);
        peer.AcceptDelay = TimeSpan.FromSeconds(30);

        var watch = Stopwatch.StartNew();
        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("slow"), EventHubsTestKit.Message("slow2")], TimeSpan.FromSeconds(1));
        watch.Stop();

        Assert.All(results, r => Assert.Equal(DeliveryResult.Transient(504, "eventhubs: no acknowledgement from the service before the deadline"), r));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the send took {watch.Elapsed} with a 1 s token");
    }

    [Fact]
    public async Task An_event_larger_than_the_hub_takes_is_permanent_413_with_the_limit_and_the_rest_is_delivered()
    {
        using var peer = new EventHubsPeer.LocalEventHubs
        {
            KeyName = EventHubsTestKit.Policy, Key = EventHubsTestKit.Key,
            Hubs = new HashSet<string>(["funnel"]), MaxMessageSize = 64 * 1024,
        };
        peer.Start();
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        var big = EventHubsTestKit.Message(new string('a', 70 * 1024));

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("small"), big, EventHubsTestKit.Message("small2")], Deadline);

        Assert.Equal(DeliveryResult.Ok, results[0]);
        Assert.Equal(DeliveryOutcome.Permanent, results[1].Outcome);
        Assert.Equal(413, results[1].Status);
        Assert.Contains("too large", results[1].Reason, StringComparison.Ordinal);
        Assert.Contains("65536 bytes", results[1].Reason, StringComparison.Ordinal);
        Assert.Equal(DeliveryResult.Ok, results[2]);
        Assert.Equal(["small", "small2"], peer.Events.Select(e => Encoding.UTF8.GetString(e.Body)));
    }

    [Fact]
    public async Task Events_that_fill_several_batches_are_split_by_size_and_all_delivered()
    {
        using var peer = new EventHubsPeer.LocalEventHubs
        {
            KeyName = EventHubsTestKit.Policy, Key = EventHubsTestKit.Key,
            Hubs = new HashSet<string>(["funnel"]), MaxMessageSize = 16 * 1024,
        };
        peer.Start();
        await using var adapter = EventHubsTestKit.Adapter($"amqp://127.0.0.1:{peer.Port}/funnel");
        var batch = Enumerable.Range(0, 20).Select(i => EventHubsTestKit.Message($"{i:D2}" + new string('b', 3000))).ToList();

        var results = await EventHubsTestKit.SendAsync(adapter, batch, Deadline);

        Assert.All(results, r => Assert.Equal(DeliveryResult.Ok, r));
        Assert.Equal(batch.Select(m => m.MessageId), peer.Events.Select(e => e.MessageId));
        Assert.InRange(peer.TransferCount, 4, 20);
    }

    [Fact]
    public async Task Without_a_credential_set_every_message_is_refused_401()
    {
        await using var adapter = EventHubsTestKit.Factory.Create(EventHubsTestKit.Destination("amqp://127.0.0.1:1/funnel"), null,
            new AdapterContext { LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Http = new HttpMessageInvoker(new SocketsHttpHandler()) });

        var results = await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message("x")], Deadline);

        Assert.Equal(DeliveryResult.Permanent(401, "eventhubs: an azure-credentials set (policyName, key) is required"), results[0]);
    }

    /// <summary>The dispatcher's retry, in short: a connection the peer dropped may fail once more before the client reconnects.</summary>
    private static async Task<DeliveryResult> SendUntilDeliveredAsync(IFunnelAdapter adapter, string body)
    {
        var result = default(DeliveryResult);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            result = (await EventHubsTestKit.SendAsync(adapter, [EventHubsTestKit.Message(body)], Deadline))[0];
            if (result.Outcome != DeliveryOutcome.Transient)
                return result;
            await Task.Delay(200);
        }
        return result;
    }
}
