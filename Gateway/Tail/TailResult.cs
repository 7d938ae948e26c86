namespace Gateway.Tail;

/// <summary>One service's outcome for a tailed message: its name, HTTP-style status and the gateway's reason on a failure.</summary>
internal readonly record struct TailResult(string Service, int Status, string? Failure);
