using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Pipeline;

/// <summary>Which services a message goes to, how (one or several, concurrently), and in what order the results come back.</summary>
public sealed class MessagePipelineTests
{
    private static readonly DeviceIdentity s_device = new(
        new Subscriber { Imsi = "440101234567001", GroupId = "g" }, new Group { GroupId = "g" }, null, RefusalReason.None);

    private static DeviceMessage Message(SourceProtocol protocol = SourceProtocol.Udp, string? onlyService = null) => new()
    {
        Device = s_device,
        Protocol = protocol,
        EntryPoint = "test",
        Payload = "hi"u8.ToArray(),
        ReceivedAtMs = 1,
        OnlyService = onlyService,
    };

    private static TestService Always(string name) => new(name, static (_, _) => true);

    private static TestService Never(string name) => new(name, static (_, _) => false);

    [Fact]
    public async Task No_service_accepting_gives_the_empty_result_and_delivers_nothing()
    {
        var a = Never("a");
        var b = Never("b");
        var pipeline = new MessagePipeline([a, b]);

        var result = await pipeline.ProcessAsync(Message(), TestContext.Current.CancellationToken);

        Assert.True(result.IsEmpty);
        Assert.False(result.AllSucceeded);
        Assert.Equal(0, a.Deliveries + b.Deliveries);
        Assert.False(pipeline.Serves(s_device, SourceProtocol.Udp));
    }

    [Fact]
    public async Task No_service_registered_gives_the_empty_result()
    {
        var pipeline = new MessagePipeline([]);
        Assert.True((await pipeline.ProcessAsync(Message(), TestContext.Current.CancellationToken)).IsEmpty);
        Assert.False(pipeline.Serves(s_device, SourceProtocol.Tcp));
    }

    [Fact]
    public async Task Only_the_services_that_accept_the_protocol_get_the_message()
    {
        var udpOnly = new TestService("udp-only", static (_, p) => p == SourceProtocol.Udp);
        var tcpOnly = new TestService("tcp-only", static (_, p) => p == SourceProtocol.Tcp);
        var pipeline = new MessagePipeline([udpOnly, tcpOnly]);

        var result = await pipeline.ProcessAsync(Message(SourceProtocol.Tcp), TestContext.Current.CancellationToken);

        Assert.Equal("tcp-only", Assert.Single(result.Results).Service);
        Assert.Equal((0, 1), (udpOnly.Deliveries, tcpOnly.Deliveries));
        Assert.Equal([SourceProtocol.Tcp], udpOnly.AskedFor);
        Assert.True(pipeline.Serves(s_device, SourceProtocol.Udp));
        Assert.False(pipeline.Serves(s_device, SourceProtocol.Mqtt));
    }

    [Fact]
    public async Task OnlyService_addresses_that_service_alone_even_when_others_accept()
    {
        var beam = Always("beam");
        var funnel = Always("funnel");
        var pipeline = new MessagePipeline([beam, funnel]);

        var result = await pipeline.ProcessAsync(Message(onlyService: "funnel"), TestContext.Current.CancellationToken);

        Assert.Equal("funnel", Assert.Single(result.Results).Service);
        Assert.Equal((0, 1), (beam.Deliveries, funnel.Deliveries));
        Assert.True(pipeline.Serves(s_device, SourceProtocol.Udp, "funnel"));
        Assert.False(pipeline.Serves(s_device, SourceProtocol.Udp, "harvest"));
    }

    [Fact]
    public async Task OnlyService_that_does_not_accept_gives_the_empty_result()
    {
        var beam = Always("beam");
        var funnel = Never("funnel");
        var pipeline = new MessagePipeline([beam, funnel]);

        var result = await pipeline.ProcessAsync(Message(onlyService: "funnel"), TestContext.Current.CancellationToken);

        Assert.True(result.IsEmpty);
        Assert.Equal(0, beam.Deliveries);
        Assert.False(pipeline.Serves(s_device, SourceProtocol.Udp, "funnel"));
    }

    [Fact]
    public async Task Several_services_deliver_concurrently()
    {
        // Each delivery waits until both have started: delivered one after the other, neither would finish.
        var started = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<ServiceResult> Deliver(string name)
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            return TestService.Ok(name);
        }

        var pipeline = new MessagePipeline([
            new TestService("a", static (_, _) => true, (_, _) => Deliver("a")),
            new TestService("b", static (_, _) => true, (_, _) => Deliver("b"))]);

        var result = await pipeline.ProcessAsync(Message(), TestContext.Current.CancellationToken);

        Assert.Equal(["a", "b"], result.Results.Select(static r => r.Service));
        Assert.True(result.AllSucceeded);
    }

    [Fact]
    public async Task Results_come_back_in_service_order_whatever_order_they_finish_in()
    {
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lastDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = new MessagePipeline([
            new TestService("slow", static (_, _) => true, async (_, ct) =>
            {
                await releaseFirst.Task.WaitAsync(ct);
                return TestService.Ok("slow", 201);
            }),
            Never("skipped"),
            new TestService("fast", static (_, _) => true, (_, _) =>
            {
                lastDone.SetResult();
                return ValueTask.FromResult(TestService.Ok("fast", 500));
            })]);

        var processing = pipeline.ProcessAsync(Message(), TestContext.Current.CancellationToken).AsTask();
        await lastDone.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(processing.IsCompleted);
        releaseFirst.SetResult();
        var result = await processing;

        Assert.Equal(["slow", "fast"], result.Results.Select(static r => r.Service));
        Assert.Equal([201, 500], result.Results.Select(static r => r.Status));
        Assert.False(result.AllSucceeded);
    }

    [Fact]
    public async Task A_service_that_throws_at_once_does_not_leave_the_others_running()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowDone = false;
        var pipeline = new MessagePipeline([
            new TestService("slow", static (_, _) => true, async (_, ct) =>
            {
                await release.Task.WaitAsync(ct);
                slowDone = true;
                return TestService.Ok("slow");
            }),
            new TestService("broken", static (_, _) => true, static (_, _) => throw new InvalidOperationException("bug"))]);

        var processing = pipeline.ProcessAsync(Message(), TestContext.Current.CancellationToken).AsTask();
        Assert.False(processing.IsCompleted);
        release.SetResult();

        await Assert.ThrowsAsync<InvalidOperationException>(() => processing);
        Assert.True(slowDone);
    }

    [Fact]
    public async Task Every_service_sees_the_same_message()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<DeviceMessage>();
        ValueTask<ServiceResult> Record(DeviceMessage m, string name)
        {
            seen.Add(m);
            return ValueTask.FromResult(TestService.Ok(name));
        }

        var pipeline = new MessagePipeline([
            new TestService("a", static (_, _) => true, (m, _) => Record(m, "a")),
            new TestService("b", static (_, _) => true, (m, _) => Record(m, "b"))]);
        var message = Message();

        await pipeline.ProcessAsync(message, TestContext.Current.CancellationToken);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, m => Assert.Same(message, m));
    }

    [Fact]
    public void CloseConnection_is_set_when_any_service_asks_for_it()
    {
        var keep = TestService.Ok("a");
        var close = new ServiceResult { Service = "b", Status = 400, Failure = "invalid JSON", CloseConnection = true };
        Assert.False(new PipelineResult([keep]).CloseConnection);
        Assert.True(new PipelineResult([keep, close]).CloseConnection);
    }
}
