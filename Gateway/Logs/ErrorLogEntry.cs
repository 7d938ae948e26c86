namespace Gateway.Logs;

/// <summary>
/// One error-log entry in SORACOM's <c>LogEntry</c> terms: when, which service, which resource (<c>Subscriber</c> and
/// an IMSI, <c>LoraDevice</c> or <c>SigfoxDevice</c> and its device ID), and what happened. Never holds a secret.
/// </summary>
internal sealed record ErrorLogEntry(
    long Sequence,
    long TimeMs,
    string Service,
    string ResourceType,
    string ResourceId,
    string Message,
    int StatusCode,
    string? Destination,
    string? SourceProtocol,
    string? MessageId);
