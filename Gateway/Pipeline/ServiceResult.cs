namespace Gateway.Pipeline;

/// <summary>
/// What one service made of one message. <see cref="Status"/> and <see cref="Body"/> are what the unified endpoint
/// reports in its <c>detail</c> (<c>{"statusCode":…, "body":"…"}</c>); the <c>Native*</c> members are the service's
/// own reply in the entry point's form, used when the device addressed that service alone (or Auto with one service).
/// </summary>
internal sealed class ServiceResult
{
    /// <summary>The service's <see cref="IDeviceService.Name"/>.</summary>
    public required string Service { get; init; }

    /// <summary>HTTP-style status: the destination's, or the gateway's own (400, 413, 502, 504, …).</summary>
    public required int Status { get; init; }

    /// <summary>The reply body (the destination's, bounded; or the gateway's reason as UTF-8 text).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The gateway's own reason when the delivery failed or was refused before reaching a destination; null otherwise.</summary>
    public string? Failure { get; init; }

    /// <summary>
    /// The metric tag of <see cref="Failure"/> (<c>upstream_refused</c>, <c>upstream_timeout</c>, …), so that an entry
    /// point that counts outcomes in a counter of its own keeps counting the same words; null without a failure.
    /// </summary>
    public string? FailureMetric { get; init; }

    /// <summary>TCP/UDP: the exact bytes the device gets when this service answers alone (SORACOM's per-service rules). Empty: send nothing.</summary>
    public byte[] NativeText { get; init; } = [];

    /// <summary>HTTP device endpoints: the Content-Type of <see cref="Body"/> when this service answers alone; null for none.</summary>
    public string? NativeContentType { get; init; }

    /// <summary>TCP: close the connection after the reply (Funnel does so after an invalid-JSON refusal).</summary>
    public bool CloseConnection { get; init; }

    /// <summary>True for a 1xx–3xx status with no failure.</summary>
    public bool Succeeded => Failure is null && Status is >= 100 and < 400;
}
