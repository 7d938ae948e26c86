using Gateway.Registry;

namespace Gateway.Pipeline;

/// <summary>
/// The one path every device message takes after its entry point identified the device and shaped the bytes:
/// to each service the device's group enables (or the one service the entry point addresses), concurrently when
/// there are several, and back as one result per service. Entry points render the results in their own form
/// (<see cref="UnifiedReply"/>); a new service registers an <see cref="IDeviceService"/> and no entry point changes.
/// Each message marks its device seen in <paramref name="sessions"/> (when given): a long TCP connection's frames are
/// identified once, at connect, so the resolver alone would not see them. A message of a subscriber someone watches
/// goes to the live <paramref name="tail"/> too, with its results.
/// </summary>
internal sealed class MessagePipeline(IEnumerable<IDeviceService> services, Sessions.DeviceSessions? sessions = null, Tail.MessageTail? tail = null)
{
    private readonly IDeviceService[] _services = [.. services];

    /// <summary>The registered services, in the order their results are reported.</summary>
    public IReadOnlyList<IDeviceService> Services => _services;

    /// <summary>True when some service (or <paramref name="onlyService"/>) takes this device's messages over <paramref name="protocol"/>.</summary>
    public bool Serves(DeviceIdentity device, SourceProtocol protocol, string? onlyService = null)
    {
        foreach (var service in _services)
        {
            if ((onlyService is null || onlyService == service.Name) && service.Accepts(device, protocol))
            {
                return true;
            }
        }

        return false;
    }

    public ValueTask<PipelineResult> ProcessAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        sessions?.Seen(message.Subscriber.Imsi);
        return tail is not null && tail.Watches(message.Subscriber.Imsi)
            ? ProcessWatchedAsync(tail, message, cancellationToken)
            : RouteAsync(message, cancellationToken);
    }

    private async ValueTask<PipelineResult> ProcessWatchedAsync(Tail.MessageTail tail, DeviceMessage message, CancellationToken cancellationToken)
    {
        // Copied before delivery: the payload may be the entry point's pooled buffer, reused once delivery returns.
        var entry = Tail.MessageTail.Start(message);
        var result = await RouteAsync(message, cancellationToken);
        tail.Complete(message.Subscriber.Imsi, entry, result);
        return result;
    }

    private ValueTask<PipelineResult> RouteAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        // The common case (one service) takes no list and no extra task.
        IDeviceService? single = null;
        List<IDeviceService>? several = null;
        foreach (var service in _services)
        {
            if ((message.OnlyService is null || message.OnlyService == service.Name) && service.Accepts(message.Device, message.Protocol))
            {
                if (single is null)
                {
                    single = service;
                }
                else
                {
                    several ??= [single];
                    several.Add(service);
                }
            }
        }

        if (single is null)
        {
            return ValueTask.FromResult(PipelineResult.None);
        }

        return several is null ? DeliverOneAsync(single, message, cancellationToken) : DeliverAllAsync(several, message, cancellationToken);
    }

    private static async ValueTask<PipelineResult> DeliverOneAsync(IDeviceService service, DeviceMessage message, CancellationToken cancellationToken) =>
        new([await service.DeliverAsync(message, cancellationToken)]);

    private static async ValueTask<PipelineResult> DeliverAllAsync(List<IDeviceService> services, DeviceMessage message, CancellationToken cancellationToken)
    {
        var pending = new Task<ServiceResult>[services.Count];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = Start(services[i], message, cancellationToken);
        }

        return new(await Task.WhenAll(pending));
    }

    /// <summary>
    /// A service that throws before its first await (a bug: failures are results) becomes a faulted task rather than
    /// an exception out of the loop, so the services already started are still awaited: the message's bytes may be
    /// the entry point's pooled buffer, which goes back to the pool once this pipeline returns.
    /// </summary>
    private static Task<ServiceResult> Start(IDeviceService service, DeviceMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return service.DeliverAsync(message, cancellationToken).AsTask();
        }
        catch (Exception e)
        {
            return Task.FromException<ServiceResult>(e);
        }
    }
}
