using Microsoft.Extensions.Logging;

namespace Gateway.Adapters;

/// <summary>What the gateway lends an adapter it creates: logging, time, and the shared HTTP client for HTTP destinations.</summary>
public sealed class AdapterContext
{
    /// <summary>Loggers for the adapter's own diagnostics (never a secret, never a message body).</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>
    /// The gateway's deadline for one message (Funnel's <c>Gateway:Funnel:DeliveryTimeoutSeconds</c>, from arrival to
    /// acceptance, retries included): past it the device is told the message failed. An adapter whose client library
    /// keeps and retries messages on its own (Kafka) bounds that by this, so a message the device was told failed is not
    /// delivered afterwards and duplicated by the device's retry. Null: no deadline known (the adapter's own defaults).
    /// </summary>
    public TimeSpan? DeliveryDeadline { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The gateway's pooled HTTP client for message-style deliveries (one set of rules for TLS, redirects, pooling),
    /// for adapters that speak HTTP. The adapter sets its own per-request timeout through the cancellation token.
    /// </summary>
    public required HttpMessageInvoker Http { get; init; }
}
