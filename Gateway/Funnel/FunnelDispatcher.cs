using System.Collections.Concurrent;
using Gateway.Adapters;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Funnel;

/// <summary>
/// Between <see cref="FunnelService"/> and the adapters: one <see cref="DestinationQueue"/> (one adapter) per
/// destination and credential set, made on first use and reused by every device of every group that names the same
/// destination. When the registry changes, queues whose destination or credential set no longer exists in it are
/// retired: they finish what they hold, then their adapter is disposed. Changes are noticed at the next message and
/// by a sweep every second, so an idle gateway lets go of old adapters too.
/// </summary>
internal sealed partial class FunnelDispatcher : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, DestinationQueue> _queues = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly IdentityResolver _resolver;
    private readonly FunnelOptions _options;
    private readonly AdapterContext _context;
    private readonly ILogger<FunnelDispatcher> _logger;
    private readonly ITimer _sweep;
    private RegistrySnapshot? _reconciled;

    public FunnelDispatcher(IEnumerable<IFunnelAdapterFactory> factories, IdentityResolver resolver, IOptions<FunnelOptions> options, AdapterContext context, ILogger<FunnelDispatcher> logger)
    {
        Factories = [.. factories];
        _resolver = resolver;
        _options = options.Value;
        _context = context;
        _logger = logger;
        _sweep = context.Time.CreateTimer(static s => ((FunnelDispatcher)s!).Sweep(), this, s_sweepInterval, s_sweepInterval);
    }

    public IReadOnlyList<IFunnelAdapterFactory> Factories { get; }

    public RegistrySnapshot Snapshot => _resolver.Snapshot;

    public FunnelOptions Options => _options;

    /// <summary>Live destinations' health, for operators.</summary>
    public IReadOnlyList<Health.DestinationStatus> Health() => [.. _queues.Values.Select(static q => q.Health())];

    /// <summary>
    /// Hands a message over and completes with its final result. Takes ownership of <paramref name="body"/> in every
    /// case. Refuses at once what can never be sent (larger than the adapter takes: 413) or cannot be held (503).
    /// </summary>
    public Task<DeliveryResult> DeliverAsync(FunnelGroupConfig config, FunnelRoute route, OutgoingMessage message, PooledBufferWriter body)
    {
        if (!ReferenceEquals(_reconciled, _resolver.Snapshot))
        {
            Reconcile();
        }

        var delivery = new FunnelDelivery(message, body, _context.Time.GetTimestamp());
        for (var attempt = 0; attempt < 3; attempt++)
        {
            DestinationQueue queue;
            try
            {
                queue = QueueFor(config, route);
            }
            catch (Exception e)
            {
                // A factory that cannot make its client (it validated the settings at load, so this is rare) fails
                // this message, not the caller: services report failures, they do not throw them.
                LogCreateFailed(_logger, config.Kind, e.GetType().Name);
                delivery.Complete(DeliveryResult.Permanent(502, $"{config.Kind} adapter could not be created ({e.GetType().Name})"));
                return delivery.Result;
            }

            if (message.Body.Length > queue.MaxMessageBytes)
            {
                delivery.Complete(DeliveryResult.Permanent(413, $"Maximum content-length is: {queue.MaxMessageBytes}"));
                return delivery.Result;
            }

            switch (queue.Submit(delivery))
            {
                case SubmitOutcome.Accepted:
                    return delivery.Result;
                case SubmitOutcome.Full:
                    delivery.Complete(DeliveryResult.Transient(503, $"{config.Kind} is not keeping up; try again later"));
                    return delivery.Result;
                default:
                    // Retired by a sweep a moment ago: take the queue that replaces it.
                    continue;
            }
        }

        delivery.Complete(DeliveryResult.Transient(503, $"{config.Kind} is being reconfigured; try again"));
        return delivery.Result;
    }

    /// <summary>The largest body the destination takes (queued messages are checked before they are spooled), or null when its adapter cannot be made.</summary>
    public int? MaxMessageBytes(FunnelGroupConfig config, FunnelRoute route)
    {
        try
        {
            return QueueFor(config, route).MaxMessageBytes;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCreateFailed(_logger, config.Kind, e.GetType().Name);
            return null;
        }
    }

    /// <summary>The resource URL without query or user info (they may hold keys), and the credential set's ID.</summary>
    private static string Target(string resourceUrl, string? credentialsId)
    {
        var resource = Uri.TryCreate(resourceUrl, UriKind.Absolute, out var uri) && uri.Authority.Length > 0
            ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}"
            : resourceUrl.Split('?')[0];
        return credentialsId is null ? resource : $"{resource} (credentials {credentialsId})";
    }

    private DestinationQueue QueueFor(FunnelGroupConfig config, FunnelRoute route)
    {
        if (_queues.TryGetValue(route.Key, out var queue))
        {
            return queue;
        }

        // Creation under a lock: a factory called twice for one key would leave an adapter no one disposes.
        lock (_gate)
        {
            if (!_queues.TryGetValue(route.Key, out queue))
            {
                var adapter = config.Factory!.Create(config.Destination!, route.Credentials, _context);
                queue = new DestinationQueue(config.DestinationKey, route, config.Kind, adapter, _options, _context.Time, _logger)
                {
                    Target = Target(config.Destination!.ResourceUrl, route.CredentialsId),
                };
                _queues[route.Key] = queue;
                LogAdapterCreated(_logger, config.Kind, route.CredentialsId ?? "-");
            }
        }

        return queue;
    }

    /// <summary>Retires the queues the current registry no longer describes (destination gone or changed, credential set gone or changed).</summary>
    public void Reconcile()
    {
        var snapshot = _resolver.Snapshot;
        lock (_gate)
        {
            if (_queues.IsEmpty)
            {
                _reconciled = snapshot;
                return;
            }

            var destinations = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in snapshot.Groups)
            {
                var config = FunnelGroupConfig.For(group, snapshot, Factories);
                if (config.Usable)
                {
                    destinations.Add(config.DestinationKey);
                }
            }

            foreach (var (key, queue) in _queues)
            {
                if (!StillConfigured(queue, destinations, snapshot) && _queues.TryRemove(new KeyValuePair<string, DestinationQueue>(key, queue)))
                {
                    queue.Retire();
                    LogAdapterRetired(_logger, queue.Kind, queue.Route.CredentialsId ?? "-");
                }
            }

            _reconciled = snapshot;
        }
    }

    private void Sweep()
    {
        try
        {
            Reconcile();
        }
        catch (Exception e)
        {
            // A timer callback that throws ends the process; the next sweep or message tries again.
            LogSweepFailed(_logger, e.GetType().Name);
        }
    }

    private static bool StillConfigured(DestinationQueue queue, HashSet<string> destinations, RegistrySnapshot snapshot) =>
        destinations.Contains(queue.DestinationKey)
        && (queue.Route.CredentialsId is not { } id
            || (snapshot.FindCredential(id) is { } set && FunnelGroupConfig.Fingerprint(set) == queue.Route.Fingerprint));

    /// <summary>For a container disposed synchronously: retires every queue without waiting for them to drain.</summary>
    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var queue in _queues.Values)
        {
            queue.Retire();
        }

        _queues.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync();
        var queues = _queues.Values.ToList();
        _queues.Clear();
        foreach (var queue in queues)
        {
            queue.Retire();
        }

        try
        {
            // Messages in flight get their delivery deadline, but shutdown does not wait longer than that.
            await Task.WhenAll(queues.Select(static q => q.Disposed)).WaitAsync(TimeSpan.FromSeconds(_options.DeliveryTimeoutSeconds), _context.Time);
        }
        catch (TimeoutException)
        {
            LogShutdownIncomplete(_logger, queues.Count(static q => !q.Disposed.IsCompleted));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Funnel adapter for {Destination} created (credential set {CredentialsId})")]
    private static partial void LogAdapterCreated(ILogger logger, string destination, string credentialsId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Funnel adapter for {Destination} (credential set {CredentialsId}) retired: the registry no longer describes it")]
    private static partial void LogAdapterRetired(ILogger logger, string destination, string credentialsId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Creating the Funnel adapter for {Destination} threw {ExceptionType}")]
    private static partial void LogCreateFailed(ILogger logger, string destination, string exceptionType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retiring old Funnel adapters failed ({ExceptionType}); retried in a second")]
    private static partial void LogSweepFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} Funnel destinations were still delivering at shutdown")]
    private static partial void LogShutdownIncomplete(ILogger logger, int count);
}
