namespace Gateway.Health;

/// <summary>
/// The outcomes of one destination: counters and times updated with interlocked operations (no lock, no allocation
/// per outcome; a failure stores a reference to its reason string).
/// </summary>
internal sealed class DestinationTracker(string service, string kind, string destination)
{
    private long _successes;
    private long _failures;
    private int _consecutiveFailures;
    private long _lastSuccessMs;
    private long _lastFailureMs;
    private string? _lastFailure;

    public void Succeeded(long nowMs, long count = 1)
    {
        Interlocked.Add(ref _successes, count);
        Volatile.Write(ref _consecutiveFailures, 0);
        Interlocked.Exchange(ref _lastSuccessMs, nowMs);
    }

    public void Failed(long nowMs, string reason, long count = 1)
    {
        Interlocked.Add(ref _failures, count);
        Interlocked.Increment(ref _consecutiveFailures);
        Interlocked.Exchange(ref _lastFailureMs, nowMs);
        Volatile.Write(ref _lastFailure, reason);
    }

    /// <summary>
    /// An HTTP upstream's answer, by the one rule every HTTP path uses: below 400 a success, anything else a failure
    /// named by its status. No allocation for the usual statuses (their texts are made once).
    /// </summary>
    public void Answered(long nowMs, int status)
    {
        if (status < 400)
        {
            Succeeded(nowMs);
        }
        else
        {
            Failed(nowMs, UpstreamAnswered(status));
        }
    }

    private static readonly string[] s_answered = [.. Enumerable.Range(400, 200).Select(static s => $"the upstream answered {s}")];

    /// <summary>The failure reason of an answer of 400 or more.</summary>
    public static string UpstreamAnswered(int status) =>
        status is >= 400 and < 600 ? s_answered[status - 400] : $"the upstream answered {status}";

    public DestinationStatus Status(int? queued = null)
    {
        var success = Interlocked.Read(ref _lastSuccessMs);
        var failure = Interlocked.Read(ref _lastFailureMs);
        return new DestinationStatus(
            service, kind, destination, Interlocked.Read(ref _successes), Interlocked.Read(ref _failures), Volatile.Read(ref _consecutiveFailures),
            success == 0 ? null : success, failure == 0 ? null : failure, Volatile.Read(ref _lastFailure), queued);
    }
}
