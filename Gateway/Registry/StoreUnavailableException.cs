namespace Gateway.Registry;

/// <summary>
/// The registry's store cannot keep what it is given: its database was deleted or replaced while the gateway ran, or
/// it cannot be written. Nothing is acknowledged while this holds (admin writes answer 503, RADIUS stays unanswered,
/// <c>/healthz</c> answers 503), because an acknowledgement promises the change survives a restart.
/// </summary>
internal sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
