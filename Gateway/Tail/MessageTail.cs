using System.Collections.Concurrent;
using Gateway.Pipeline;

namespace Gateway.Tail;

/// <summary>
/// The last messages of each subscriber someone is watching, as they pass the pipeline. Nothing is kept for a
/// subscriber nobody watches: reading its tail starts a watch for <see cref="WatchMs"/>, each further read extends it,
/// and the ring is dropped once the watch lapses. The pipeline asks <see cref="Watches"/> per message (a volatile read
/// while nobody watches anything; one lookup otherwise) and only a watched message is copied: its first
/// <see cref="PreviewBytes"/> bytes. Bounded: <see cref="Capacity"/> entries per subscriber, <see cref="MaxWatched"/>
/// subscribers at a time.
/// </summary>
internal sealed class MessageTail(TimeProvider time)
{
    public const int Capacity = 50;
    public const int PreviewBytes = 256;
    public const int MaxWatched = 64;
    public const long WatchMs = 60_000;

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);
    private volatile int _watched;

    /// <summary>True when someone watches this subscriber: the pipeline then records the message with <see cref="Start"/>.</summary>
    public bool Watches(string imsi) => _watched != 0 && imsi.Length != 0 && _rings.ContainsKey(imsi);

    /// <summary>Copies what the tail shows of a message before its delivery (after it, the bytes may be reused).</summary>
    public static TailEntry Start(DeviceMessage message) => new(
        message.ReceivedAtMs,
        message.EntryPoint,
        message.Protocol.ToString(),
        message.Payload.Length,
        message.Payload.Span[..Math.Min(PreviewBytes, message.Payload.Length)].ToArray(),
        message.Json is { } json ? json.Span[..Math.Min(PreviewBytes, json.Length)].ToArray() : null,
        message.Json?.Length ?? 0,
        message.Topic,
        message.ContentType);

    /// <summary>Adds a started entry with the services' outcomes, if the subscriber is still watched.</summary>
    public void Complete(string imsi, TailEntry entry, PipelineResult result)
    {
        if (!_rings.TryGetValue(imsi, out var ring))
        {
            return;
        }

        if (ring.Lapsed(Now))
        {
            Drop(imsi, ring);
            return;
        }

        var results = new TailResult[result.Results.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var r = result.Results[i];
            results[i] = new TailResult(r.Service, r.Status, r.Failure);
        }

        entry.Results = results;
        ring.Add(entry);
    }

    /// <summary>
    /// The entries after <paramref name="after"/> (the cursor a previous read returned; -1 for everything kept), and a
    /// watch on the subscriber for the next <see cref="WatchMs"/>. Null when <see cref="MaxWatched"/> others are watched.
    /// </summary>
    public TailPage? Read(string imsi, long after)
    {
        var now = Now;
        if (!_rings.TryGetValue(imsi, out var ring))
        {
            Sweep(now);
            if (_rings.Count >= MaxWatched)
            {
                return null;
            }

            ring = _rings.GetOrAdd(imsi, static _ => new Ring());
            _watched = _rings.Count;
        }

        ring.Watch(now + WatchMs);
        return ring.After(after);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Sweep(long now)
    {
        foreach (var (imsi, ring) in _rings)
        {
            if (ring.Lapsed(now))
            {
                Drop(imsi, ring);
            }
        }
    }

    private void Drop(string imsi, Ring ring)
    {
        _rings.TryRemove(KeyValuePair.Create(imsi, ring));
        _watched = _rings.Count;
    }

    /// <summary>A fixed ring under a lock: only watched messages and readers take it.</summary>
    private sealed class Ring
    {
        private readonly TailEntry?[] _items = new TailEntry?[Capacity];
        private long _next;
        private long _watchedUntil;

        public bool Lapsed(long now) => now > Volatile.Read(ref _watchedUntil);

        public void Watch(long until) => Volatile.Write(ref _watchedUntil, until);

        public void Add(TailEntry entry)
        {
            lock (_items)
            {
                entry.Sequence = _next;
                _items[_next % Capacity] = entry;
                _next++;
            }
        }

        public TailPage After(long after)
        {
            lock (_items)
            {
                var oldest = Math.Max(0, _next - Capacity);
                var from = Math.Max(oldest, Math.Min(after + 1, _next));
                var entries = new List<TailEntry>((int)(_next - from));
                for (var s = from; s < _next; s++)
                {
                    entries.Add(_items[s % Capacity]!);
                }

                return new TailPage(entries, _next - 1, Math.Max(0, oldest - (after + 1)));
            }
        }
    }
}
