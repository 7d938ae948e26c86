namespace Gateway.Tail;

/// <summary>
/// What a reader gets: the entries after its cursor (oldest first), the cursor to pass next time, and how many entries
/// it missed because the ring overwrote them before it came back.
/// </summary>
internal sealed record TailPage(IReadOnlyList<TailEntry> Entries, long Cursor, long Missed);
