using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Registry;

/// <summary>
/// The subscribers of a snapshot, indexed by everything that identifies a device, in <see cref="ShardedMap{TKey,TValue}"/>s
/// so that a change copies only the shards it touches: publishing one new SIM into a registry of a million costs
/// microseconds, not a rebuild. Also kept: the IMSIs in order (for paged listing) and how many SIMs each group has
/// (so a group still in use is not deleted, without a scan).
/// </summary>
internal sealed class SubscriberIndex
{
    /// <summary>The identifying fields, in the order validation reports them (as <see cref="RegistryParser"/> does).</summary>
    public static readonly string[] Fields = ["ipAddress", "ipRanges", "certificateThumbprints", "certificateSubjects", "loraDeviceId", "sigfoxDeviceId"];

    private SubscriberIndex(
        ShardedMap<string, Subscriber> byImsi,
        ShardedMap<UInt128, Subscriber> byAddress,
        ShardedMap<string, Subscriber>[] byName,
        ImmutableSortedDictionary<int, ShardedMap<UInt128, Subscriber>> ranges,
        SortedKeys order,
        ImmutableDictionary<string, int> groupMembers)
    {
        ByImsi = byImsi;
        ByAddress = byAddress;
        ByName = byName;
        RangeMaps = ranges;
        Order = order;
        GroupMembers = groupMembers;
        Ranges = [.. ranges.Reverse().Where(static r => r.Value.Count > 0).Select(static r => (r.Key, MaskFor(r.Key), r.Value))];
    }

    public static SubscriberIndex Empty { get; } = new(
        ShardedMap<string, Subscriber>.Empty(StringComparer.Ordinal),
        ShardedMap<UInt128, Subscriber>.Empty(),
        [
            ShardedMap<string, Subscriber>.Empty(StringComparer.OrdinalIgnoreCase), // thumbprints
            ShardedMap<string, Subscriber>.Empty(StringComparer.Ordinal), // subjects
            ShardedMap<string, Subscriber>.Empty(StringComparer.OrdinalIgnoreCase), // LoRa DevEUI
            ShardedMap<string, Subscriber>.Empty(StringComparer.OrdinalIgnoreCase), // Sigfox ID
        ],
        ImmutableSortedDictionary<int, ShardedMap<UInt128, Subscriber>>.Empty,
        SortedKeys.Empty,
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal));

    public ShardedMap<string, Subscriber> ByImsi { get; }

    public ShardedMap<UInt128, Subscriber> ByAddress { get; }

    /// <summary>Thumbprints, subjects, LoRa and Sigfox IDs: <see cref="Fields"/>[2..].</summary>
    public ShardedMap<string, Subscriber>[] ByName { get; }

    /// <summary>Routed ranges by prefix length (IPv4 as IPv4-mapped, so /24 is 120), longest first.</summary>
    public (int PrefixLength, UInt128 Mask, ShardedMap<UInt128, Subscriber> Networks)[] Ranges { get; }

    public SortedKeys Order { get; }

    public ImmutableDictionary<string, int> GroupMembers { get; }

    private ImmutableSortedDictionary<int, ShardedMap<UInt128, Subscriber>> RangeMaps { get; }

    public int Count => ByImsi.Count;

    public Builder ToBuilder() => new(this);

    internal static UInt128 MaskFor(int prefixLength) =>
        prefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefixLength);

    internal static (int Length, UInt128 Network) RangeKey(string range)
    {
        var network = IPNetwork.Parse(range);
        var length = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? network.PrefixLength + 96 : network.PrefixLength;
        return (length, RegistrySnapshot.Key(network.BaseAddress) & MaskFor(length));
    }

    /// <summary>
    /// An edit of the index. A value another SIM already holds is never taken from it: <see cref="TryClaim"/> says
    /// so, and the caller decides (after every change is in, the holder may have let it go).
    /// </summary>
    internal sealed class Builder
    {
        private readonly ShardedMap<string, Subscriber>.Builder _byImsi;
        private readonly ShardedMap<UInt128, Subscriber>.Builder _byAddress;
        private readonly ShardedMap<string, Subscriber>.Builder[] _byName;
        private readonly SortedDictionary<int, ShardedMap<UInt128, Subscriber>.Builder> _ranges = [];
        private readonly SortedKeys.Builder _order;
        private readonly ImmutableDictionary<string, int>.Builder _groupMembers;

        /// <summary>
        /// How the edit changes each group's count, folded into <see cref="_groupMembers"/> when it is finished: an
        /// immutable dictionary's builder makes new nodes at every set, a million times in a load.
        /// </summary>
        private readonly Dictionary<string, int> _memberChanges = new(StringComparer.Ordinal);

        public Builder(SubscriberIndex from)
        {
            _byImsi = from.ByImsi.ToBuilder();
            _byAddress = from.ByAddress.ToBuilder();
            _byName = [.. from.ByName.Select(static m => m.ToBuilder())];
            foreach (var (length, map) in from.RangeMaps)
            {
                _ranges[length] = map.ToBuilder();
            }

            _order = from.Order.ToBuilder();
            _groupMembers = from.GroupMembers.ToBuilder();
        }

        public int Count => _byImsi.Count;

        public Subscriber? Find(string imsi) => _byImsi.TryGetValue(imsi, out var s) ? s : null;

        public int Members(string groupId) => _groupMembers.GetValueOrDefault(groupId) + _memberChanges.GetValueOrDefault(groupId);

        /// <summary>IMSIs in order (for reporting SIMs of a group; a scan, so only on an error path).</summary>
        public IEnumerable<string> Imsis => _order.All();

        /// <summary>Adds a SIM under its IMSI; its identifying values are claimed separately (<see cref="TryClaim"/>).</summary>
        public void Add(Subscriber s)
        {
            _byImsi.Set(s.Imsi, s);
            Added(s);
        }

        /// <summary>Adds a SIM unless its IMSI is taken (false then, and nothing changes); its values as for <see cref="Add"/>.</summary>
        public bool TryAdd(Subscriber s)
        {
            if (!_byImsi.TryAdd(s.Imsi, s))
            {
                return false;
            }

            Added(s);
            return true;
        }

        /// <summary>Room for <paramref name="subscribers"/> more SIMs with an address each, before a load into an empty index.</summary>
        public void EnsureCapacity(int subscribers)
        {
            _byImsi.EnsureCapacity(subscribers);
            _byAddress.EnsureCapacity(subscribers);
            _order.EnsureCapacity(subscribers);
        }

        private void Added(Subscriber s)
        {
            _order.Add(s.Imsi);
            if (s.GroupId is not null)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_memberChanges, s.GroupId, out _)++;
            }
        }

        /// <summary>Removes a SIM and every value it holds (values held by another SIM stay theirs).</summary>
        public void Remove(Subscriber s)
        {
            _byImsi.Remove(s.Imsi);
            _order.Remove(s.Imsi);
            if (s.GroupId is not null)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_memberChanges, s.GroupId, out _)--;
            }

            foreach (var (field, value) in Values(s))
            {
                if (Owner(field, value) == s)
                {
                    Release(field, value);
                }
            }
        }

        /// <summary>Every identifying value of a SIM, as (index into <see cref="Fields"/>, value).</summary>
        public static IEnumerable<(int Field, string Value)> Values(Subscriber s)
        {
            if (s.IpAddress is not null)
            {
                yield return (0, s.IpAddress);
            }

            foreach (var r in s.IpRanges)
            {
                yield return (1, r);
            }

            foreach (var t in s.CertificateThumbprints)
            {
                yield return (2, t);
            }

            foreach (var subject in s.CertificateSubjects)
            {
                yield return (3, subject);
            }

            if (s.LoraDeviceId is not null)
            {
                yield return (4, s.LoraDeviceId);
            }

            if (s.SigfoxDeviceId is not null)
            {
                yield return (5, s.SigfoxDeviceId);
            }
        }

        /// <summary>Which SIM holds this value now, if any.</summary>
        public Subscriber? Owner(int field, string value)
        {
            switch (field)
            {
                case 0:
                    return _byAddress.TryGetValue(RegistrySnapshot.Key(IPAddress.Parse(value)), out var a) ? a : null;
                case 1:
                    var (length, network) = RangeKey(value);
                    return _ranges.TryGetValue(length, out var map) && map.TryGetValue(network, out var r) ? r : null;
                default:
                    return _byName[field - 2].TryGetValue(value, out var n) ? n : null;
            }
        }

        /// <summary>Gives <paramref name="s"/> the value unless another SIM holds it; returns whether it did.</summary>
        public bool TryClaim(int field, string value, Subscriber s)
        {
            if (field == 0)
            {
                // The common case (a static address), with the address parsed once.
                return TryClaimAddress(RegistrySnapshot.Key(IPAddress.Parse(value)), s);
            }

            if (Owner(field, value) is { } owner)
            {
                return owner == s;
            }

            switch (field)
            {
                case 1:
                    var (length, network) = RangeKey(value);
                    if (!_ranges.TryGetValue(length, out var map))
                    {
                        _ranges[length] = map = ShardedMap<UInt128, Subscriber>.Empty().ToBuilder();
                    }

                    map.Set(network, s);
                    break;
                default:
                    _byName[field - 2].Set(value, s);
                    break;
            }

            return true;
        }

        /// <summary><see cref="TryClaim"/> of a static address by its key (<see cref="RegistrySnapshot.Key"/>).</summary>
        public bool TryClaimAddress(UInt128 key, Subscriber s)
        {
            if (_byAddress.TryGetValue(key, out var holder))
            {
                return holder == s;
            }

            _byAddress.Set(key, s);
            return true;
        }

        public SubscriberIndex ToImmutable()
        {
            foreach (var (groupId, change) in _memberChanges)
            {
                var members = _groupMembers.GetValueOrDefault(groupId) + change;
                if (members > 0)
                {
                    _groupMembers[groupId] = members;
                }
                else
                {
                    _groupMembers.Remove(groupId);
                }
            }

            _memberChanges.Clear();
            return new(
                _byImsi.ToImmutable(),
                _byAddress.ToImmutable(),
                [.. _byName.Select(static b => b.ToImmutable())],
                _ranges.ToImmutableSortedDictionary(static r => r.Key, static r => r.Value.ToImmutable()),
                _order.ToImmutable(),
                _groupMembers.ToImmutable());
        }

        private void Release(int field, string value)
        {
            switch (field)
            {
                case 0:
                    _byAddress.Remove(RegistrySnapshot.Key(IPAddress.Parse(value)));
                    break;
                case 1:
                    var (length, network) = RangeKey(value);
                    _ranges[length].Remove(network);
                    break;
                default:
                    _byName[field - 2].Remove(value);
                    break;
            }
        }
    }
}
