namespace Gateway.Spool;

/// <summary>Delivers spooled records of one service (Funnel, Harvest) for <see cref="SpoolPump"/>.</summary>
internal interface ISpoolConsumer
{
    /// <summary>One attempt. Exceptions count as <see cref="SpoolOutcome.Retry"/>.</summary>
    ValueTask<SpoolOutcome> DeliverAsync(SpoolRecord record, CancellationToken cancellationToken);
}
