namespace Gateway.Radius;

/// <summary>
/// Where <see cref="RadiusAccountingListener"/> hands each authenticated Accounting-Request; the gateway's
/// implementation binds <see cref="AccountingEvent.FramedIpAddress"/> to the subscriber found by
/// <see cref="AccountingEvent.Imsi"/> on Start and Interim-Update and unbinds it on Stop.
/// </summary>
/// <remarks>
/// The NAS gets its Accounting-Response only after this returns true, as RFC 2866 §2 requires ("MUST NOT" answer
/// what it could not record): return false (or throw, or overrun the listener's sink timeout) and the NAS retransmits.
/// So the same request can arrive again after a failure, and also once the listener's duplicate window has passed:
/// handling must be idempotent (binding an address that is already bound to the same SIM is a success). Calls run
/// concurrently, a few at a time, so events for one address can be handled out of order; and RADIUS has no replay
/// protection beyond the shared secret. A Stop should therefore only unbind the address when the binding still belongs to
/// the same <see cref="AccountingEvent.SessionId"/> (or IMSI), so that a late Stop of an old session does not unbind a
/// newer one; <see cref="AccountingEvent.EventTimestamp"/>, when the NAS sends it, orders events too.
/// The token is cancelled at the sink timeout and at shutdown.
/// </remarks>
internal interface IAccountingEventSink
{
    /// <summary>Records the event; true once it is recorded durably enough to acknowledge, false when it could not be.</summary>
    ValueTask<bool> HandleAsync(AccountingEvent accountingEvent, CancellationToken cancellationToken);
}
