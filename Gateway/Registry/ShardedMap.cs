using System.Diagnostics.CodeAnalysis;

namespace Gateway.Registry;

/// <summary>
/// An immutable map of up to millions of entries that a change copies only in part: the entries are spread over
/// <see cref="ShardCount"/> ordinary dictionaries by hash, and an edit (<see cref="Builder"/>) copies just the
/// shards it touches and shares the rest with the map it started from. A lookup is one hash to pick the shard and
/// one dictionary probe, without locks or allocation, so readers of a published map never see it change.
/// </summary>
internal sealed class ShardedMap<TKey, TValue>
    where TKey : notnull
{
    /// <summary>
    /// 8,192 shards: at a million entries one write copies about 120 of them. With 1,024, an attach storm into a
    /// million SIMs copied a thousand entries (28 KB) per new SIM, work and garbage that grew with the registry.
    /// The array of shards stays under the large-object threshold (64 KB), and a builder copies it only when it
    /// writes (<see cref="Builder"/>).
    /// </summary>
    public const int ShardCount = 1 << ShardBits;
    private const int ShardBits = 13;

    private readonly Dictionary<TKey, TValue>?[] _shards;

    private ShardedMap(Dictionary<TKey, TValue>?[] shards, IEqualityComparer<TKey>? comparer, int count)
    {
        _shards = shards;
        Comparer = comparer;
        Count = count;
    }

    public static ShardedMap<TKey, TValue> Empty(IEqualityComparer<TKey>? comparer = null) => new(new Dictionary<TKey, TValue>?[ShardCount], comparer, 0);

    public IEqualityComparer<TKey>? Comparer { get; }

    public int Count { get; }

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var shard = _shards[ShardOf(key, Comparer)];
        if (shard is null)
        {
            value = default;
            return false;
        }

        return shard.TryGetValue(key, out value);
    }

    public TValue? GetValueOrDefault(TKey key) => TryGetValue(key, out var value) ? value : default;

    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <summary>Every entry, shard by shard (no particular order).</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> Entries()
    {
        foreach (var shard in _shards)
        {
            if (shard is null)
            {
                continue;
            }

            foreach (var entry in shard)
            {
                yield return entry;
            }
        }
    }

    public Builder ToBuilder() => new(this);

    // Fibonacci hashing spreads the comparer's hash over the shards using its high bits, which the dictionary inside
    // the shard does not use: a shard's entries still spread over its own buckets.
    private static int ShardOf(TKey key, IEqualityComparer<TKey>? comparer) =>
        (int)(((uint)(comparer?.GetHashCode(key) ?? EqualityComparer<TKey>.Default.GetHashCode(key)) * 2654435769u) >> (32 - ShardBits));

    /// <summary>
    /// Edits on a copy: the array of shards is copied on the first write (an edit of the registry starts a builder
    /// for every index, and most are never written), and a shard the first time the builder changes it, never again.
    /// </summary>
    internal sealed class Builder
    {
        private readonly IEqualityComparer<TKey>? _comparer;
        private Dictionary<TKey, TValue>?[] _shards;
        private bool[]? _owned;
        private int _count;

        public Builder(ShardedMap<TKey, TValue> from)
        {
            _shards = from._shards;
            _comparer = from.Comparer;
            _count = from.Count;
        }

        public int Count => _count;

        public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
        {
            var shard = _shards[ShardOf(key, _comparer)];
            if (shard is null)
            {
                value = default;
                return false;
            }

            return shard.TryGetValue(key, out value);
        }

        public void Set(TKey key, TValue value)
        {
            var shard = Own(ShardOf(key, _comparer));
            var before = shard.Count;
            shard[key] = value;
            _count += shard.Count - before;
        }

        /// <summary>Adds the entry unless the key is there already (one probe where a lookup and a set take two).</summary>
        public bool TryAdd(TKey key, TValue value)
        {
            if (!Own(ShardOf(key, _comparer)).TryAdd(key, value))
            {
                return false;
            }

            _count++;
            return true;
        }

        /// <summary>
        /// Makes room for <paramref name="total"/> entries spread over the shards, before a bulk load into an empty
        /// map: a shard grown one doubling at a time allocates its arrays again at every step and ends up to twice
        /// as large as it needs to be. The hash spreads entries evenly, so each shard gets its share and a margin.
        /// </summary>
        public void EnsureCapacity(int total)
        {
            if (total < 16 * ShardCount)
            {
                // Few entries: most shards stay empty (null) until one comes, as without sizing.
                return;
            }

            var share = total / ShardCount;
            var each = share + (4 * (int)Math.Sqrt(share)) + 8;
            for (var i = 0; i < ShardCount; i++)
            {
                Own(i).EnsureCapacity(each);
            }
        }

        public bool Remove(TKey key)
        {
            var index = ShardOf(key, _comparer);
            if (_shards[index] is not { } existing || !existing.ContainsKey(key))
            {
                return false;
            }

            Own(index).Remove(key);
            _count--;
            return true;
        }

        /// <summary>The map as it now is; the builder must not be used afterwards.</summary>
        public ShardedMap<TKey, TValue> ToImmutable() => new(_shards, _comparer, _count);

        private Dictionary<TKey, TValue> Own(int index)
        {
            if (_owned is null)
            {
                _shards = (Dictionary<TKey, TValue>?[])_shards.Clone();
                _owned = new bool[ShardCount];
            }
            else if (_owned[index])
            {
                return _shards[index]!;
            }

            _owned[index] = true;
            var copy = _shards[index] is { } shared ? new Dictionary<TKey, TValue>(shared, _comparer) : new Dictionary<TKey, TValue>(_comparer);
            _shards[index] = copy;
            return copy;
        }
    }
}
