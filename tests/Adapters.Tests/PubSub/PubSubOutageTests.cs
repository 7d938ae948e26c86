using System.Text;
using static Gateway.Adapters.Tests.PubSub.PubSubTestKit;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// The emulator down when the adapter is made, then up, then killed mid-stream and restarted on the same port: sends
/// fail Transient while it is down and succeed again once it (and its topic: the emulator keeps state in memory) is
/// back, with the same adapter. Nothing reported delivered is missing.
/// </summary>
public sealed class PubSubOutageTests
{
    private const string Project = "funnel-test";

    [Theory]
    [MemberData(nameof(Transports), MemberType = typeof(PubSubTestKit))]
    public async Task Down_at_start_then_up_then_killed_mid_stream_then_back(string transport)
    {
        PubSubEmulator.SkipIfMissing();
        var port = PubSubEmulator.FreePort();
        var topic = $"projects/{Project}/topics/outage";
        await using var adapter = Adapter(topic, At($"http://127.0.0.1:{port}", transport));

        var early = await SendAsync(adapter, [Message("early")], TimeSpan.FromSeconds(10));
        Assert.Equal((DeliveryOutcome.Transient, 502), (early[0].Outcome, early[0].Status));

        await using var emulator = await PubSubEmulator.StartAsync(port);
        var (_, subscription) = await emulator.CreateAsync(Project, "outage");
        var delivered = new List<string>();
        await SendNumberedAsync(adapter, "up", 5, delivered);

        // Killed while sends run: each gets a result (delivered or transient), none hangs or throws.
        var stream = Task.Run(async () =>
        {
            var outcomes = new List<DeliveryOutcome>();
            for (var i = 0; i < 40; i++)
            {
                var body = $"mid-{i}";
                var r = await SendAsync(adapter, [Message(body)], TimeSpan.FromSeconds(5));
                outcomes.Add(r[0].Outcome);
                if (r[0].Outcome == DeliveryOutcome.Delivered)
                    lock (delivered)
                        delivered.Add(body);
                else
                    Assert.Equal(DeliveryOutcome.Transient, r[0].Outcome);
                await Task.Delay(25, Ct);
            }
            return outcomes;
        }, Ct);
        await Task.Delay(300, Ct);
        var pulledBeforeKill = await emulator.PullAsync(subscription, delivered.Count, TimeSpan.FromSeconds(30));
        await emulator.KillAsync();
        var outcomes = await stream;
        Assert.Contains(DeliveryOutcome.Transient, outcomes);

        // Back on the same port; the emulator lost its topics, so they are made again.
        await emulator.StartAsync();
        await emulator.CreateAsync(Project, "outage");
        var after = new List<string>();
        await SendNumberedAsync(adapter, "back", 3, after);
        var pulledAfter = await emulator.PullAsync(subscription, 3, TimeSpan.FromSeconds(30));
        Assert.Equal(after.Order(), pulledAfter.Select(p => Encoding.UTF8.GetString(p.Data)).Order());

        // Every message delivered before the kill that the emulator still held was pulled before it.
        var before = pulledBeforeKill.Select(p => Encoding.UTF8.GetString(p.Data)).ToHashSet();
        Assert.All(delivered.Where(d => d.StartsWith("up-", StringComparison.Ordinal)), d => Assert.Contains(d, before));
    }

    /// <summary>
    /// Sends numbered messages until <paramref name="count"/> were delivered; before the first, a Transient result is
    /// allowed for a few seconds (a gRPC channel waits a moment before it reconnects), after it every send must succeed.
    /// </summary>
    private static async Task SendNumberedAsync(IFunnelAdapter adapter, string prefix, int count, List<string> delivered)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        for (var i = 0; delivered.Count(d => d.StartsWith(prefix + "-", StringComparison.Ordinal)) < count; i++)
        {
            var body = $"{prefix}-{i}";
            var r = await SendAsync(adapter, [Message(body)], TimeSpan.FromSeconds(10));
            if (r[0].Outcome == DeliveryOutcome.Transient && !delivered.Exists(d => d.StartsWith(prefix + "-", StringComparison.Ordinal)) && DateTime.UtcNow < until)
            {
                await Task.Delay(100, Ct);
                continue;
            }
            Assert.Equal(DeliveryResult.Ok, r[0]);
            delivered.Add(body);
        }
    }
}
