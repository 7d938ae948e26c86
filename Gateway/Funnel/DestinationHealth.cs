namespace Gateway.Funnel;

/// <summary>
/// How one destination (adapter) is doing, for operators: healthy while its last attempt succeeded. Reasons are the
/// adapters', which never hold secrets.
/// </summary>
internal sealed record DestinationHealth(string Kind, string? CredentialsId, bool Healthy, int ConsecutiveFailures, long LastSuccessMs, long LastFailureMs, string? LastFailure, int Queued);
