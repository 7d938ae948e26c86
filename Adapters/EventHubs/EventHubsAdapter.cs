using Azure;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.EventHubs;

/// <summary>
/// Delivers to one Event Hubs destination with one <see cref="EventHubProducerClient"/> per hub (one hub unless the
/// URL holds <c>#{imsi}</c>), each made on first use and reused. A call's messages are grouped by hub and partition
/// key (the SDK takes one key per batch), each group sent in as few <see cref="EventDataBatch"/>es as their size
/// allows, up to <see cref="ParallelSends"/> groups at once.
/// </summary>
internal sealed class EventHubsAdapter : IFunnelAdapter
{
    /// <summary>The most messages per call: Event Hubs limits a batch by bytes, not count; this bounds one call's work.</summary>
    public const int BatchLimit = 500;

    /// <summary>
    /// The largest body taken: under the standard tier's 1 MiB per event, leaving room for the identity properties,
    /// message ID, content type and AMQP framing. The hub's real limit (what the link reports) is checked per event.
    /// </summary>
    public const int MaxBodyBytes = 1_000_000;

    /// <summary>Producers kept for <c>#{imsi}</c> hubs by default; the least recently used idle one is closed beyond this.</summary>
    public const int DefaultMaxProducers = 64;

    /// <summary>Groups (hub and partition key) sent at once within one call.</summary>
    private const int ParallelSends = 8;

    private static readonly DeliveryResult DeadlinePassed =
        DeliveryResult.Transient(504, "eventhubs: no acknowledgement from the service before the deadline");

    private static readonly DeliveryResult Closed =
        DeliveryResult.Transient(503, "eventhubs: the client was closed before delivery (configuration changed)");

    private readonly EventHubsSettings _settings;
    private readonly string _policy;
    private readonly string _key;
    private readonly string _credentialsId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Producer> _producers = new(StringComparer.Ordinal);
    private readonly int _maxProducers;
    private bool _disposed;

    public EventHubsAdapter(EventHubsSettings settings, string policy, string key, string credentialsId, AdapterContext context,
        int maxProducers = DefaultMaxProducers)
    {
        _maxProducers = maxProducers;
        _settings = settings;
        _policy = policy;
        _key = key;
        _credentialsId = credentialsId;
        _time = context.Time;
        _logger = context.LoggerFactory.CreateLogger<EventHubsAdapter>();
    }

    public int MaxBatchSize => BatchLimit;

    public int MaxMessageBytes => MaxBodyBytes;

    /// <summary>Producers open now (for tests).</summary>
    internal int ProducerCount
    {
        get
        {
            lock (_gate)
                return _producers.Count;
        }
    }

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        cancellationToken.ThrowIfCancellationRequested();
        var groups = new Dictionary<(string Hub, string? Key), List<int>>();
        for (var i = 0; i < batch.Count; i++)
        {
            var hub = HubOf(batch[i], out var refusal);
            if (hub is null)
            {
                results[i] = refusal;
                continue;
            }
            var key = _settings.PartitionKey ? batch[i].Key : null;
            if (!groups.TryGetValue((hub, key), out var members))
                groups[(hub, key)] = members = [];
            members.Add(i);
            results[i] = DeadlinePassed; // until a send says otherwise
        }
        if (groups.Count == 1)
        {
            var (group, members) = groups.First();
            await SendGroupAsync(group.Hub, group.Key, members, batch, results, cancellationToken);
            return;
        }
        // Each group writes only its own indexes of results, and never throws.
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = ParallelSends },
            async (g, _) => await SendGroupAsync(g.Key.Hub, g.Key.Key, g.Value, batch, results, cancellationToken));
    }

    /// <summary>Sends one hub's messages with one partition key, in as many batches as their size needs, in order.</summary>
    private async Task SendGroupAsync(string hub, string? key, List<int> members, IReadOnlyList<OutgoingMessage> batch,
        DeliveryResult[] results, CancellationToken cancellationToken)
    {
        Producer? producer = null;
        var options = new CreateBatchOptions { PartitionKey = key };
        var inBatch = new List<int>(members.Count);
        var next = 0;
        try
        {
            producer = Rent(hub);
            if (producer is null)
            {
                foreach (var i in members)
                    results[i] = Closed;
                return;
            }
            while (next < members.Count)
            {
                using var events = await producer.Client.CreateBatchAsync(options, cancellationToken);
                inBatch.Clear();
                while (next < members.Count)
                {
                    var index = members[next];
                    if (events.TryAdd(ToEvent(batch[index])))
                    {
                        inBatch.Add(index);
                        next++;
                    }
                    else if (events.Count == 0)
                    {
                        // Too large for an empty batch: it never fits, so it is refused rather than retried.
                        results[index] = DeliveryResult.Permanent(413,
                            $"eventhubs: the event is too large: {batch[index].Body.Length} bytes of body with its properties exceed the hub's limit of {events.MaximumSizeInBytes} bytes");
                        next++;
                    }
                    else
                    {
                        break;
                    }
                }
                if (events.Count == 0)
                    continue;
                await producer.Client.SendAsync(events, cancellationToken);
                foreach (var i in inBatch)
                    results[i] = DeliveryResult.Ok;
                inBatch.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's deadline. A batch the service may still have taken is retried by the caller and can
            // arrive twice; consumers drop duplicates by the message ID. The rest already hold DeadlinePassed.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var failure = EventHubsErrors.Map(e, hub);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var type = e.GetType().Name;
                var reason = e is EventHubsException eh ? eh.Reason.ToString() : "-";
                EventHubsLog.SendFailed(_logger, _settings.Url.Namespace, hub, members.Count - next + inBatch.Count, type, reason);
            }
            if (e is UnauthorizedAccessException)
                EventHubsLog.Unauthorized(_logger, _settings.Url.Namespace, hub, _credentialsId);
            foreach (var i in inBatch)
                results[i] = failure;
            for (var n = next; n < members.Count; n++)
                results[members[n]] = failure;
        }
        finally
        {
            if (producer is not null)
                Return(producer);
        }
    }

    private static EventData ToEvent(OutgoingMessage message)
    {
        var data = new EventData(new BinaryData(message.Body))
        {
            MessageId = message.MessageId,
            ContentType = message.ContentType,
        };
        foreach (var (name, value) in message.Attributes)
            data.Properties[name] = value;
        return data;
    }

    /// <summary>The message's hub: the configured one, or the one in its target (the URL with <c>#{imsi}</c> replaced).</summary>
    private string? HubOf(OutgoingMessage message, out DeliveryResult refusal)
    {
        refusal = default;
        var url = _settings.Url;
        if (message.Target is null)
        {
            if (!url.Hub.Contains("#{imsi}", StringComparison.Ordinal))
                return url.Hub;
            refusal = DeliveryResult.Permanent(400, "eventhubs: the hub holds #{imsi} but the message names no target");
            return null;
        }
        var target = message.Target;
        if (!target.StartsWith(url.TargetPrefix, StringComparison.Ordinal) || !target.EndsWith(url.TargetSuffix, StringComparison.Ordinal)
            || target.Length < url.TargetPrefix.Length + url.TargetSuffix.Length)
        {
            refusal = DeliveryResult.Permanent(400, "eventhubs: the message's target is not in this destination's namespace");
            return null;
        }
        var hub = target[url.TargetPrefix.Length..^url.TargetSuffix.Length];
        var error = EventHubsResourceUrl.HubError(hub);
        if (error is null)
            return hub;
        refusal = DeliveryResult.Permanent(400, $"eventhubs: hub {error}");
        return null;
    }

    private Producer? Rent(string hub)
    {
        Producer? evicted = null;
        Producer producer;
        lock (_gate)
        {
            if (_disposed)
                return null;
            if (!_producers.TryGetValue(hub, out producer!))
            {
                // Made first: if the SDK refuses the arguments, nothing was evicted or added.
                producer = new Producer(hub, CreateClient(hub));
                if (_producers.Count >= _maxProducers)
                {
                    evicted = _producers.Values.Where(static p => p.InFlight == 0).MinBy(static p => p.LastUsed);
                    if (evicted is not null)
                        _producers.Remove(evicted.Hub);
                }
                _producers[hub] = producer;
            }
            producer.InFlight++;
            producer.LastUsed = _time.GetTimestamp();
        }
        if (evicted is not null)
            _ = evicted.Client.DisposeAsync().AsTask();
        return producer;
    }

    private void Return(Producer producer)
    {
        lock (_gate)
            producer.InFlight--;
    }

    private EventHubProducerClient CreateClient(string hub)
    {
        var options = new EventHubProducerClientOptions
        {
            Identifier = "iot-gateway-funnel",
            ConnectionOptions = new EventHubConnectionOptions { TransportType = EventHubsTransportType.AmqpTcp },
            // The dispatcher retries with its own backoff and the device waits for the reply: one quick retry here
            // (it replaces a connection the service closed while idle), never the SDK's default of 3 over a minute.
            RetryOptions = new EventHubsRetryOptions
            {
                Mode = EventHubsRetryMode.Fixed,
                MaximumRetries = 1,
                Delay = TimeSpan.FromMilliseconds(100),
                MaximumDelay = TimeSpan.FromMilliseconds(500),
                TryTimeout = TimeSpan.FromSeconds(10),
            },
        };
        var url = _settings.Url;
        if (!url.IsLocal)
            return new EventHubProducerClient(url.Namespace, hub, new AzureNamedKeyCredential(_policy, _key), options);
        // A local peer: the SDK's development-emulator convention is plain TCP to the host and port given; it is only
        // reachable through a connection string.
        var connectionString = $"Endpoint=sb://{url.Namespace};SharedAccessKeyName={_policy};SharedAccessKey={_key};UseDevelopmentEmulator=true";
        return new EventHubProducerClient(connectionString, hub, options);
    }

    /// <summary>Closes every producer; sends still running end Transient.</summary>
    public async ValueTask DisposeAsync()
    {
        Producer[] producers;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            producers = [.. _producers.Values];
            _producers.Clear();
        }
        foreach (var producer in producers)
            await producer.Client.DisposeAsync();
    }

    /// <summary>One hub's client and its use, guarded by the adapter's lock.</summary>
    private sealed class Producer(string hub, EventHubProducerClient client)
    {
        public string Hub { get; } = hub;

        public EventHubProducerClient Client { get; } = client;

        public int InFlight { get; set; }

        public long LastUsed { get; set; }
    }
}
