using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Registry;

/// <summary>
/// The RADIUS bindings by address key, spread over <see cref="ShardCount"/> concurrent dictionaries by hash. One
/// dictionary of an attach storm's 300,000 sessions grew by doubling, and each doubling rebuilt every entry (new nodes
/// for all of them, with every writer held back meanwhile): a pause and a burst of garbage that grew with the table.
/// A shard holds a 64th, so its doublings are a 64th as long. Reads take no lock, as with one dictionary.
/// </summary>
internal sealed class BindingTable
{
    private const int ShardBits = 6;
    private const int ShardCount = 1 << ShardBits;
    private readonly ConcurrentDictionary<UInt128, AddressBinding>[] _shards;

    public BindingTable()
    {
        _shards = new ConcurrentDictionary<UInt128, AddressBinding>[ShardCount];
        for (var i = 0; i < ShardCount; i++)
        {
            _shards[i] = new ConcurrentDictionary<UInt128, AddressBinding>();
        }
    }

    public bool TryGetValue(UInt128 key, [MaybeNullWhen(false)] out AddressBinding binding) => Shard(key).TryGetValue(key, out binding);

    public AddressBinding? GetValueOrDefault(UInt128 key) => Shard(key).GetValueOrDefault(key);

    public void Set(UInt128 key, AddressBinding binding) => Shard(key)[key] = binding;

    public bool Remove(UInt128 key) => Shard(key).TryRemove(key, out _);

    /// <summary>Removes the entry only while it is still <paramref name="expected"/>.</summary>
    public bool Remove(UInt128 key, AddressBinding expected) => Shard(key).TryRemove(new KeyValuePair<UInt128, AddressBinding>(key, expected));

    /// <summary>Every key now (a moment's view, as a concurrent dictionary's).</summary>
    public IEnumerable<UInt128> Keys() => _shards.SelectMany(static s => s.Keys);

    // The high bits of a multiplicative hash pick the shard; the dictionary inside uses the key's own hash.
    private ConcurrentDictionary<UInt128, AddressBinding> Shard(UInt128 key) =>
        _shards[(int)(((uint)key.GetHashCode() * 2654435769u) >> (32 - ShardBits))];
}
