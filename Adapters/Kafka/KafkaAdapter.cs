using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.Kafka;

/// <summary>
/// Delivers to one Kafka destination with one idempotent producer. <see cref="SendAsync"/> hands every message to
/// librdkafka without blocking (its queue is bounded by the caller's batch size and concurrency) and awaits the
/// delivery reports. A failed authentication or a fatal producer error ends the batches in flight at once.
/// </summary>
internal sealed class KafkaAdapter : IFunnelAdapter
{
    /// <summary>How long sends are refused without trying after the brokers refused the credentials.</summary>
    private static readonly TimeSpan AuthFailureHold = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="DisposeAsync"/> waits for queued messages before it drops them.</summary>
    private static readonly TimeSpan FlushOnDispose = TimeSpan.FromSeconds(2);

    private static readonly DeliveryResult DeadlinePassed =
        DeliveryResult.Transient(504, "kafka: no acknowledgement from the brokers before the deadline");

    private readonly KafkaSettings _settings;
    private readonly ProducerConfig _config;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _name;
    private readonly ConcurrentDictionary<KafkaBatch, byte> _inFlight = new();
    private readonly Lock _gate = new();
    private IProducer<string, byte[]>? _producer;
    private bool _replaceProducer;
    private long _authFailedAt = long.MinValue;
    private bool _disposed;

    public KafkaAdapter(KafkaSettings settings, ProducerConfig config, string name, AdapterContext context)
    {
        _settings = settings;
        _config = config;
        _name = name;
        _time = context.Time;
        _logger = context.LoggerFactory.CreateLogger<KafkaAdapter>();
    }

    public int MaxBatchSize => 500;

    public int MaxMessageBytes => KafkaProducerConfig.MaxBodyBytes;

    /// <summary>librdkafka keeps a message, retrying, until its <c>message.timeout.ms</c>, whatever the caller's token says.</summary>
    public TimeSpan KeepsMessagesFor => TimeSpan.FromMilliseconds(_config.MessageTimeoutMs ?? KafkaSettings.DefaultDeliveryTimeoutMs);

    /// <summary>The producer configuration, for tests of what the factory made of a destination.</summary>
    internal ProducerConfig Config => _config;

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> batch, DeliveryResult[] results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(results);
        cancellationToken.ThrowIfCancellationRequested();
        var sending = new KafkaBatch(results, batch.Count);
        if (AuthenticationRecentlyFailed())
        {
            sending.Close(KafkaErrors.Map(ErrorCode.Local_Authentication));
            return;
        }
        var producer = Producer(out var failure);
        if (producer is null)
        {
            sending.Close(failure);
            return;
        }
        _inFlight.TryAdd(sending, 0);
        try
        {
            for (var i = 0; i < batch.Count; i++)
                Produce(producer, batch[i], i, sending);
            await sending.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's deadline: librdkafka keeps the messages until its own timeout and may still deliver them.
            // The factory ends that timeout before the gateway's deadline and the dispatcher hands over no message
            // with less time left (KeepsMessagesFor), so this is rare; what remains is in KafkaMessageTimeout.
            sending.Close(DeadlinePassed);
        }
        finally
        {
            _inFlight.TryRemove(sending, out _);
        }
    }

    private void Produce(IProducer<string, byte[]> producer, OutgoingMessage message, int index, KafkaBatch sending)
    {
        var topic = TopicOf(message, out var refusal);
        if (topic is null)
        {
            sending.Complete(index, refusal);
            return;
        }
        try
        {
            producer.Produce(topic, ToKafka(message), sending.Handler(index));
        }
        catch (ProduceException<string, byte[]> e)
        {
            sending.Complete(index, KafkaErrors.Map(e.Error.Code));
        }
        catch (KafkaException e)
        {
            sending.Complete(index, KafkaErrors.Map(e.Error.Code));
        }
    }

    /// <summary>The message's topic: the configured one, or the one in its target (the URL with <c>#{imsi}</c> replaced).</summary>
    private string? TopicOf(OutgoingMessage message, out DeliveryResult refusal)
    {
        refusal = default;
        if (message.Target is null)
        {
            if (!_settings.Topic.Contains("#{imsi}", StringComparison.Ordinal))
                return _settings.Topic;
            refusal = DeliveryResult.Permanent(400, "kafka: the topic holds #{imsi} but the message names no target");
            return null;
        }
        if (!message.Target.StartsWith(_settings.TargetPrefix, StringComparison.Ordinal))
        {
            refusal = DeliveryResult.Permanent(400, "kafka: the message's target is not on this destination's brokers");
            return null;
        }
        var topic = message.Target[_settings.TargetPrefix.Length..];
        var error = KafkaResourceUrl.TopicError(topic);
        if (error is null)
            return topic;
        refusal = DeliveryResult.Permanent(400, $"kafka: topic {error}");
        return null;
    }

    private Message<string, byte[]> ToKafka(OutgoingMessage message)
    {
        var headers = new Headers();
        foreach (var (name, value) in message.Attributes)
            headers.Add(name, Encoding.UTF8.GetBytes(value));
        headers.Add("content-type", Encoding.UTF8.GetBytes(message.ContentType));
        headers.Add("message-id", Encoding.UTF8.GetBytes(message.MessageId));
        return new Message<string, byte[]>
        {
            Key = _settings.RandomizePartitionKey ? Guid.NewGuid().ToString("N") : message.Key!,
            Value = Bytes(message.Body),
            Headers = headers,
            Timestamp = message.TimestampMs > 0 ? new Timestamp(message.TimestampMs, TimestampType.CreateTime) : default,
        };
    }

    /// <summary>The body as the array Confluent.Kafka takes, without a copy when it already is one whole array.</summary>
    private static byte[] Bytes(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    /// <summary>The producer, made on first use and again after a fatal error (an idempotent producer cannot recover).</summary>
    private IProducer<string, byte[]>? Producer(out DeliveryResult failure)
    {
        failure = default;
        IProducer<string, byte[]>? retired = null;
        IProducer<string, byte[]> current;
        lock (_gate)
        {
            if (_disposed)
            {
                // A send racing the configuration change that retired this client: the caller retries on the new one.
                failure = KafkaErrors.Map(ErrorCode.Local_Destroy);
                return null;
            }
            if (_producer is null || _replaceProducer)
            {
                retired = _producer;
                try
                {
                    _producer = new ProducerBuilder<string, byte[]>(_config).SetErrorHandler(OnError).SetLogHandler(OnLog).Build();
                }
                catch (Exception e) when (e is KafkaException or ArgumentException or InvalidOperationException or DllNotFoundException)
                {
                    // librdkafka refused the configuration (a CA that is not PEM, say); its text may quote values.
                    KafkaLog.Misconfigured(_logger, _name, e.GetType().Name);
                    failure = DeliveryResult.Permanent(500, "kafka: the producer could not be made from this configuration (see the gateway's log)");
                    return null;
                }
                _replaceProducer = false;
            }
            current = _producer;
        }
        if (retired is not null)
            _ = Task.Run(retired.Dispose); // destroying waits for librdkafka's threads: not on the caller's thread
        return current;
    }

    /// <summary>librdkafka's errors outside any one message, on its poll thread. Most are followed by its own retries.</summary>
    private void OnError(IProducer<string, byte[]> producer, Error error)
    {
        if (error.IsFatal)
        {
            KafkaLog.ProducerFailed(_logger, _name, error.Code);
            lock (_gate)
                _replaceProducer = ReferenceEquals(producer, _producer) || _replaceProducer;
            FailInFlight(KafkaErrors.Map(ErrorCode.Local_Fatal));
        }
        else if (KafkaErrors.IsAuthentication(error.Code))
        {
            KafkaLog.AuthenticationFailed(_logger, _name, error.Code);
            Volatile.Write(ref _authFailedAt, _time.GetTimestamp());
            FailInFlight(KafkaErrors.Map(error.Code));
        }
        else
        {
            KafkaLog.ClientError(_logger, _name, error.Code, error.Reason);
        }
    }

    private void OnLog(IProducer<string, byte[]> producer, LogMessage message) =>
        KafkaLog.Librdkafka(_logger, _name, message.Facility, message.Message);

    private void FailInFlight(DeliveryResult result)
    {
        foreach (var batch in _inFlight.Keys)
            batch.Close(result);
    }

    private bool AuthenticationRecentlyFailed()
    {
        var at = Volatile.Read(ref _authFailedAt);
        return at != long.MinValue && _time.GetElapsedTime(at) < AuthFailureHold;
    }

    /// <summary>Gives queued messages a short while to leave, then destroys the producer off the caller's thread.</summary>
    public async ValueTask DisposeAsync()
    {
        IProducer<string, byte[]>? producer;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            producer = _producer;
            _producer = null;
        }
        if (producer is null)
            return;
        await Task.Run(() =>
        {
            producer.Flush(FlushOnDispose);
            producer.Dispose();
        });
        FailInFlight(KafkaErrors.Map(ErrorCode.Local_Destroy));
    }
}
