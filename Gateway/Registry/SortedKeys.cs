namespace Gateway.Registry;

/// <summary>
/// An immutable ordered set of strings (ordinal) kept as sorted chunks of a few hundred keys: the registry's IMSIs
/// in order, for paged listing. A tree of a million nodes was a million more objects for the collector to trace on
/// every full collection and to promote at start; here a million keys are some two thousand arrays. An edit
/// (<see cref="Builder"/>) collects its additions and removals and applies them when it is finished, copying only
/// the chunks they fall in; a bulk load sorts once.
/// </summary>
internal sealed class SortedKeys
{
    /// <summary>Keys per chunk when chunks are cut; a chunk is split when an edit takes it past twice this.</summary>
    internal const int ChunkSize = 512;

    private readonly string[][] _chunks;

    private SortedKeys(string[][] chunks, int count)
    {
        _chunks = chunks;
        Count = count;
    }

    public static SortedKeys Empty { get; } = new([], 0);

    public int Count { get; }

    public Builder ToBuilder() => new(this);

    /// <summary>The keys after <paramref name="after"/> (all of them when null), in order.</summary>
    public IEnumerable<string> After(string? after)
    {
        var chunk = after is null ? 0 : ChunkFor(_chunks, after);
        for (; chunk < _chunks.Length; chunk++)
        {
            var keys = _chunks[chunk];
            var start = 0;
            if (after is not null)
            {
                var at = Array.BinarySearch(keys, after, StringComparer.Ordinal);
                start = at >= 0 ? at + 1 : ~at;
                after = null;
            }

            for (var i = start; i < keys.Length; i++)
            {
                yield return keys[i];
            }
        }
    }

    /// <summary>The chunk a key belongs in: the last whose first key is not greater than it (the first chunk if none).</summary>
    private static int ChunkFor(string[][] chunks, string key)
    {
        int lo = 0, hi = chunks.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (string.CompareOrdinal(chunks[mid][0], key) <= 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>
    /// An edit. The caller adds only keys absent and removes only keys present (the IMSI index says which), so an
    /// addition and a removal of one key cancel out.
    /// </summary>
    internal sealed class Builder(SortedKeys from)
    {
        /// <summary>
        /// Additions while there has been no removal (a load, a batch of registrations): a list, no set, since the
        /// caller adds only absent keys; a store read in IMSI order then needs no sort either. The first removal
        /// moves them into <see cref="_added"/>, where an addition and a removal of one key can cancel out.
        /// </summary>
        private List<string>? _appended = [];
        private bool _appendedInOrder = true;
        private HashSet<string>? _added;
        private readonly HashSet<string> _removed = new(StringComparer.Ordinal);

        public int Count => from.Count + (_appended?.Count ?? _added!.Count) - _removed.Count;

        /// <summary>Room for <paramref name="additions"/> keys before a bulk load.</summary>
        public void EnsureCapacity(int additions) => _appended?.EnsureCapacity(additions);

        public void Add(string key)
        {
            if (_appended is { } appended)
            {
                _appendedInOrder = _appendedInOrder && (appended.Count == 0 || string.CompareOrdinal(appended[^1], key) < 0);
                appended.Add(key);
            }
            else if (!_removed.Remove(key))
            {
                _added!.Add(key);
            }
        }

        public void Remove(string key)
        {
            if (_appended is { } appended)
            {
                _added = new HashSet<string>(appended, StringComparer.Ordinal);
                _appended = null;
            }

            if (!_added!.Remove(key))
            {
                _removed.Add(key);
            }
        }

        public SortedKeys ToImmutable()
        {
            var added = Added();
            if (added.Length == 0 && _removed.Count == 0)
            {
                return from;
            }

            // Many changes against what there is (a load): cut the merged keys afresh; fewer (an admin write, a batch of
            // registrations in a large registry): rewrite only the chunks they land in and share the rest.
            var chunks = added.Length + _removed.Count > from.Count / 4
                ? Cut(from.Count == 0 ? added : [.. Merge(from._chunks.SelectMany(static c => c), added)], ChunkSize)
                : Patch(added);
            return new SortedKeys(chunks, chunks.Sum(static c => c.Length));
        }

        /// <summary>Every key of the edit's result, in order (an error path: it sorts the pending additions).</summary>
        public IEnumerable<string> All() => Merge(from._chunks.SelectMany(static c => c), Added());

        /// <summary>The added keys, sorted (ordinal).</summary>
        private string[] Added()
        {
            var added = _appended is { } appended ? appended.ToArray() : _added!.ToArray();
            if (_appended is null || !_appendedInOrder)
            {
                Array.Sort(added, StringComparer.Ordinal);
            }

            return added;
        }

        private string[][] Patch(string[] added)
        {
            var byChunk = new Dictionary<int, List<string>>();
            foreach (var key in added)
            {
                var at = from._chunks.Length == 0 ? 0 : ChunkFor(from._chunks, key);
                if (!byChunk.TryGetValue(at, out var list))
                {
                    byChunk[at] = list = [];
                }

                list.Add(key);
            }

            foreach (var key in _removed)
            {
                var at = ChunkFor(from._chunks, key);
                byChunk.TryAdd(at, []);
            }

            var result = new List<string[]>(from._chunks.Length + byChunk.Count);
            for (var i = 0; i < Math.Max(from._chunks.Length, byChunk.Count == 0 ? 0 : 1); i++)
            {
                if (!byChunk.TryGetValue(i, out var adds))
                {
                    result.Add(from._chunks[i]);
                    continue;
                }

                var existing = i < from._chunks.Length ? from._chunks[i] : [];
                string[] merged = [.. Merge(existing, adds)];
                result.AddRange(Cut(merged, merged.Length > 2 * ChunkSize ? ChunkSize : 2 * ChunkSize));
            }

            return [.. result];
        }

        /// <summary>The existing keys without the removed ones, merged with the (sorted) added ones.</summary>
        private IEnumerable<string> Merge(IEnumerable<string> existing, IReadOnlyList<string> added)
        {
            var next = 0;
            foreach (var key in existing)
            {
                while (next < added.Count && string.CompareOrdinal(added[next], key) < 0)
                {
                    yield return added[next++];
                }

                if (!_removed.Contains(key))
                {
                    yield return key;
                }
            }

            while (next < added.Count)
            {
                yield return added[next++];
            }
        }

        /// <summary>Sorted keys cut into chunks of <paramref name="size"/> (no empty chunk).</summary>
        private static string[][] Cut(string[] keys, int size)
        {
            var chunks = new string[(keys.Length + size - 1) / size][];
            for (var i = 0; i < chunks.Length; i++)
            {
                chunks[i] = keys[(i * size)..Math.Min(keys.Length, (i + 1) * size)];
            }

            return chunks;
        }
    }
}
