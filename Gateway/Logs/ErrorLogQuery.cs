namespace Gateway.Logs;

/// <summary>
/// A <c>GET /v1/logs</c> filter: every given field must match; <see cref="Before"/> is the paging key (the
/// sequence of the last entry of the previous page).
/// </summary>
internal sealed record ErrorLogQuery(string? ResourceType, string? ResourceId, string? Service, long? FromMs, long? ToMs, int Limit, long? Before);
