using Microsoft.Extensions.Logging;

namespace Gateway.Adapters;

/// <summary>What the gateway lends an adapter it creates: logging, time, and the shared HTTP client for HTTP destinations.</summary>
public sealed class AdapterContext
{
    /// <summary>Loggers for the adapter's own diagnostics (never a secret, never a message body).</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The gateway's pooled HTTP client for message-style deliveries (one set of rules for TLS, redirects, pooling),
    /// for adapters that speak HTTP. The adapter sets its own per-request timeout through the cancellation token.
    /// </summary>
    public required HttpMessageInvoker Http { get; init; }
}
