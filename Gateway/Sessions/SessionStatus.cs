namespace Gateway.Sessions;

/// <summary>
/// What this gateway instance knows of a device's session: whether it is online (a live connection, or seen within
/// the online window), when it was last seen (Unix ms; null when never since the process started), and how many
/// connections it holds open now.
/// </summary>
internal readonly record struct SessionStatus(bool Online, long? LastSeenMs, int Connections);
