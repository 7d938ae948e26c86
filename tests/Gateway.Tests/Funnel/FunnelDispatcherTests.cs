using System.Collections.Concurrent;
using Gateway.Adapters;
using Gateway.Funnel;
using Gateway.Logs;
using Gateway.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Funnel;

/// <summary>The dispatcher's batching, concurrency and queue bounds, against an adapter that records its calls.</summary>
public sealed class FunnelDispatcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_fills_up_to_the_adapters_limit_within_the_window()
    {
        var adapter = new RecordingAdapter { MaxBatchSize = 5 };
        await using var funnel = Create(adapter, new FunnelOptions { BatchWindowMilliseconds = 100 });

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => funnel.SendAsync()));

        Assert.All(results, static r => Assert.Equal(200, r.Status));
        Assert.Equal([5], adapter.BatchSizes);
    }

    [Fact]
    public async Task A_lone_message_waits_no_longer_than_the_window()
    {
        var adapter = new RecordingAdapter { MaxBatchSize = 100 };
        await using var funnel = Create(adapter, new FunnelOptions { BatchWindowMilliseconds = 2 });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await funnel.SendAsync();

        Assert.Equal(200, result.Status);
        Assert.Equal([1], adapter.BatchSizes);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task Sends_in_flight_per_destination_are_bounded()
    {
        var adapter = new RecordingAdapter { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var funnel = Create(adapter, new FunnelOptions { MaxConcurrencyPerDestination = 2 });

        var sending = Enumerable.Range(0, 6).Select(_ => funnel.SendAsync()).ToList();
        for (var i = 0; i < 100 && adapter.InFlight < 2; i++)
        {
            await Task.Delay(20, Ct);
        }

        await Task.Delay(200, Ct);
        Assert.Equal(2, adapter.MaxInFlight);
        adapter.Gate.SetResult();
        Assert.All(await Task.WhenAll(sending), static r => Assert.Equal(200, r.Status));
        Assert.Equal(2, adapter.MaxInFlight);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_with_503()
    {
        var adapter = new RecordingAdapter { Gate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var funnel = Create(adapter, new FunnelOptions { MaxConcurrencyPerDestination = 1, QueueCapacityPerDestination = 1 });

        // One in flight, one held by the pump waiting for a slot, one in the queue: the next has no room.
        var held = new List<Task<ServiceResult>>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(funnel.SendAsync());
            await Task.Delay(150, Ct);
        }

        var refused = await funnel.SendAsync();
        adapter.Gate.SetResult();

        Assert.Equal(503, refused.Status);
        Assert.Equal("503 webhook/webhook is not keeping up; try again later"u8.ToArray(), refused.NativeText);
        Assert.All(await Task.WhenAll(held), static r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task An_adapter_that_throws_is_a_transient_failure_not_a_crash()
    {
        var adapter = new RecordingAdapter { Throw = true };
        await using var funnel = Create(adapter, new FunnelOptions { DeliveryTimeoutSeconds = 1, RetryBaseDelayMilliseconds = 20, RetryMaxDelayMilliseconds = 100 });

        var result = await funnel.SendAsync();

        Assert.Equal(502, result.Status);
        Assert.Equal("webhook/webhook adapter failed (InvalidOperationException)", result.Failure);
        Assert.True(adapter.BatchSizes.Count > 1, "retried");
    }

    [Fact]
    public async Task A_message_is_not_handed_to_an_adapter_that_could_deliver_it_after_the_device_is_told_it_failed()
    {
        // Like librdkafka with a message.timeout.ms beyond the deadline: whatever is handed over may arrive after the 504.
        var adapter = new RecordingAdapter { KeepsMessagesFor = TimeSpan.FromSeconds(2) };
        await using var funnel = Create(adapter, new FunnelOptions { DeliveryTimeoutSeconds = 1 });

        var result = await funnel.SendAsync();

        Assert.Equal(504, result.Status);
        Assert.Equal("webhook/webhook: the message waited too long to be sent within 1 s", result.Failure);
        Assert.Empty(adapter.BatchSizes);
    }

    private static Harness Create(RecordingAdapter adapter, FunnelOptions options)
    {
        var resolver = FunnelRegistry.Resolver(FunnelRegistry.Seed(FunnelRegistry.Funnel("http://127.0.0.1:9/hook")));
        options.OperatorId = "OP0012345678";
        var context = new AdapterContext { LoggerFactory = NullLoggerFactory.Instance, Http = new HttpMessageInvoker(new SocketsHttpHandler()) };
        var dispatcher = new FunnelDispatcher([new Factory(adapter)], resolver, Options.Create(options), context, NullLogger<FunnelDispatcher>.Instance);
        var service = new FunnelService(dispatcher, new ErrorLog(100, TimeSpan.FromHours(1), TimeProvider.System), Options.Create(options));
        return new Harness(dispatcher, service, FunnelRegistry.Device(resolver));
    }

    private sealed class Harness(FunnelDispatcher dispatcher, FunnelService service, Gateway.Registry.DeviceIdentity device) : IAsyncDisposable
    {
        public Task<ServiceResult> SendAsync() =>
            service.DeliverAsync(FunnelRegistry.Message(device, SourceProtocol.Udp, """{"t":1}"""), Ct).AsTask();

        public ValueTask DisposeAsync() => dispatcher.DisposeAsync();
    }

    private sealed class Factory(RecordingAdapter adapter) : IFunnelAdapterFactory
    {
        public string Provider => "webhook";

        public string Service => "webhook";

        public IReadOnlyList<string> CredentialTypes => ["psk"];

        public void Validate(FunnelDestination destination, string path, List<string> errors)
        {
        }

        public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context) => adapter;
    }

    private sealed class RecordingAdapter : IFunnelAdapter
    {
        private int _inFlight;
        private int _maxInFlight;

        public int MaxBatchSize { get; init; } = 1;

        public int MaxMessageBytes => 1024 * 1024;

        public TaskCompletionSource? Gate { get; init; }

        public bool Throw { get; init; }

        public TimeSpan KeepsMessagesFor { get; init; }

        public ConcurrentQueue<int> BatchSizes { get; } = new();

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
        {
            BatchSizes.Enqueue(batch.Count);
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                if (Throw)
                {
                    throw new InvalidOperationException("adapter bug");
                }

                if (Gate is not null)
                {
                    await Gate.Task.WaitAsync(cancellationToken);
                }

                Array.Fill(results, DeliveryResult.Ok);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
