using Gateway.Adapters;
using Gateway.Logs;
using Gateway.Spool;

namespace Gateway.Funnel;

/// <summary>
/// Delivers queued Funnel messages from the spool through the same <see cref="FunnelDispatcher"/> as synchronous ones
/// (batching, concurrency, the dispatcher's own retries within <c>DeliveryTimeoutSeconds</c>). The destination is the
/// one the message's group names at delivery time. Transient failures are retried by the <see cref="SpoolPump"/>;
/// permanent ones, and messages whose group no longer has a usable Funnel, are dropped with an error-log entry.
/// </summary>
internal sealed partial class FunnelSpoolConsumer(FunnelDispatcher dispatcher, ErrorLog errorLog, ILogger<FunnelSpoolConsumer> logger) : ISpoolConsumer
{
    public async ValueTask<SpoolOutcome> DeliverAsync(SpoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var messageId = record.Id.ToString();
        if (FunnelSpoolEntry.Deserialize(record.Payload) is not { } entry)
        {
            LogUnreadable(logger, messageId);
            return SpoolOutcome.Permanent;
        }

        var snapshot = dispatcher.Snapshot;
        var config = FunnelGroupConfig.For(snapshot.FindGroup(entry.GroupId), snapshot, dispatcher.Factories);
        if (!config.Usable)
        {
            Record(entry, config, 410, $"group {entry.GroupId} no longer has a Funnel destination; the queued message is dropped", messageId);
            return SpoolOutcome.Unconfigured;
        }

        var route = config.RouteFor(entry.Imsi);
        if (route.Problem is { } problem)
        {
            // A credential set removed or retyped: kept and retried (until MaxAgeHours), so fixing it delivers the backlog.
            LogRouteProblem(logger, config.Kind, problem);
            return SpoolOutcome.Retry;
        }

        var body = new PooledBufferWriter(entry.Body.Length);
        entry.Body.Span.CopyTo(body.GetSpan(entry.Body.Length));
        body.Advance(entry.Body.Length);
        var result = await dispatcher.DeliverAsync(config, route, entry.ToMessage(body.WrittenMemory, messageId), body).WaitAsync(cancellationToken);
        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                return SpoolOutcome.Delivered;
            case DeliveryOutcome.Permanent:
                Record(entry, config, result.Status, (result.Reason ?? "refused") + " (queued message dropped)", messageId);
                return SpoolOutcome.Permanent;
            default:
                return SpoolOutcome.Retry;
        }
    }

    private void Record(FunnelSpoolEntry entry, FunnelGroupConfig config, int status, string reason, string messageId)
    {
        if (entry.ResourceId.Length > 0)
        {
            errorLog.Add(FunnelService.LogService, entry.ResourceType, entry.ResourceId, reason, status, config.Kind, entry.SourceProtocol, messageId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Funnel spool: message {MessageId} cannot be read back; dropped")]
    private static partial void LogUnreadable(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funnel spool: {Destination} cannot be used now ({Problem}); queued messages wait")]
    private static partial void LogRouteProblem(ILogger logger, string destination, string problem);
}
