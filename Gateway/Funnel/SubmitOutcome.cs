namespace Gateway.Funnel;

/// <summary>What a destination queue made of a hand-over.</summary>
internal enum SubmitOutcome
{
    Accepted,

    /// <summary>The queue is full: the destination is not keeping up. Refused at once (503), never held unbounded.</summary>
    Full,

    /// <summary>The queue was retired by a configuration change a moment ago: the caller takes the current one.</summary>
    Closed,
}
