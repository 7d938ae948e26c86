using Gateway.Adapters;

namespace Gateway.Funnel;

/// <summary>
/// Where one group's messages go for one credential set: the dispatcher's key for the adapter that serves them
/// (destination settings + credential set ID + a fingerprint of its secret fields, so a changed secret makes a new
/// adapter), the credentials themselves, or why none can be used.
/// </summary>
internal sealed record FunnelRoute(string Key, string? CredentialsId, string? Fingerprint, AdapterCredentials? Credentials, string? Problem);
