using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Registry;

/// <summary>
/// An immutable, indexed view of the registry. Built once per change, swapped atomically, and read without locks
/// on the hot path: every lookup here is a dictionary probe on a value-type key, with no allocation.
/// </summary>
internal sealed class RegistrySnapshot
{
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CredentialSet> _credentials = new(StringComparer.Ordinal);
    private readonly SubscriberIndex _subscribers;

    // Groups' anonymous ranges, grouped by prefix length, longest first; the value is the group's stand-in
    // subscriber, made once here. Groups are few, so this part is rebuilt with every snapshot.
    private readonly (int PrefixLength, UInt128 Mask, Dictionary<UInt128, Subscriber> Networks)[] _groupRanges;

    /// <summary>A snapshot of a whole document (a seed file, a test): every subscriber indexed once.</summary>
    public RegistrySnapshot(RegistryDocument document, long version = 0)
        : this(document.Groups, document.Credentials, IndexAll(document.Subscribers), version)
    {
    }

    /// <summary>
    /// A snapshot from its parts: <paramref name="subscribers"/> is usually the previous snapshot's index with a
    /// change applied, sharing everything the change did not touch.
    /// </summary>
    public RegistrySnapshot(IReadOnlyList<Group> groups, IReadOnlyList<CredentialSet> credentials, SubscriberIndex subscribers, long version)
    {
        Groups = groups;
        Credentials = credentials;
        _subscribers = subscribers;
        Version = version;
        var groupRanges = new SortedDictionary<int, Dictionary<UInt128, Subscriber>>(Comparer<int>.Create(static (a, b) => b.CompareTo(a)));
        foreach (var g in groups)
        {
            _groups[g.GroupId] = g;
            if (g.IpRanges.Count > 0)
            {
                var anonymous = Subscriber.AnonymousIn(g.GroupId);
                foreach (var range in g.IpRanges)
                {
                    var (length, network) = SubscriberIndex.RangeKey(range);
                    if (!groupRanges.TryGetValue(length, out var map))
                    {
                        groupRanges[length] = map = [];
                    }

                    map[network] = anonymous;
                }
            }
        }

        foreach (var c in credentials)
        {
            _credentials[c.CredentialsId] = c;
        }

        _groupRanges = [.. groupRanges.Select(static r => (r.Key, SubscriberIndex.MaskFor(r.Key), r.Value))];
    }

    public static RegistrySnapshot Empty { get; } = new(new RegistryDocument());

    /// <summary>The same registry at another store version (once a change is written).</summary>
    public RegistrySnapshot WithVersion(long version) => version == Version ? this : new(Groups, Credentials, _subscribers, version);

    public IReadOnlyList<Group> Groups { get; }

    public IReadOnlyList<CredentialSet> Credentials { get; }

    /// <summary>The indexed subscribers; a change starts from here (<see cref="SubscriberIndex.ToBuilder"/>).</summary>
    public SubscriberIndex SubscriberIndex => _subscribers;

    public int SubscriberCount => _subscribers.Count;

    /// <summary>The store's change counter this snapshot reflects.</summary>
    public long Version { get; }

    /// <summary>
    /// Subscribers in IMSI order, starting after <paramref name="afterImsi"/> (SORACOM's <c>last_evaluated_key</c>)
    /// when given: a page costs its own length, whatever the registry's size.
    /// </summary>
    public IEnumerable<Subscriber> SubscribersAfter(string? afterImsi)
    {
        foreach (var imsi in _subscribers.Order.After(afterImsi))
        {
            yield return _subscribers.ByImsi.GetValueOrDefault(imsi)!;
        }
    }

    public Subscriber? FindByImsi(string imsi) => _subscribers.ByImsi.GetValueOrDefault(imsi);

    public Group? FindGroup(string? groupId) => groupId is null ? null : _groups.GetValueOrDefault(groupId);

    public CredentialSet? FindCredential(string credentialsId) => _credentials.GetValueOrDefault(credentialsId);

    public Subscriber? FindByThumbprint(string sha256Hex) => _subscribers.ByName[0].GetValueOrDefault(sha256Hex);

    public Subscriber? FindBySubject(string subject) => _subscribers.ByName[1].GetValueOrDefault(subject);

    public Subscriber? FindByLoraDeviceId(string devEui) => _subscribers.ByName[2].GetValueOrDefault(devEui);

    public Subscriber? FindBySigfoxDeviceId(string id) => _subscribers.ByName[3].GetValueOrDefault(id);

    /// <summary>
    /// The subscriber whose static address is this one, else the one with the longest matching range, else the
    /// anonymous stand-in of the group with the longest matching range. A SIM's own address or range always wins
    /// over a group's range, however long: a known SIM is the more specific answer.
    /// </summary>
    public Subscriber? FindByAddress(IPAddress address)
    {
        var key = Key(address);
        if (_subscribers.ByAddress.TryGetValue(key, out var exact))
        {
            return exact;
        }

        foreach (var (_, mask, networks) in _subscribers.Ranges)
        {
            if (networks.TryGetValue(key & mask, out var s))
            {
                return s;
            }
        }

        foreach (var (_, mask, networks) in _groupRanges)
        {
            if (networks.TryGetValue(key & mask, out var s))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>
    /// Indexes a whole list as the parser validated it. Values are unique there (the parser refuses a second holder),
    /// except where two spellings of one address parse apart (IPv4 and IPv4-mapped IPv6): the first SIM keeps it.
    /// </summary>
    private static SubscriberIndex IndexAll(IReadOnlyList<Subscriber> subscribers)
    {
        var builder = SubscriberIndex.Empty.ToBuilder();
        foreach (var s in subscribers)
        {
            builder.Add(s);
            foreach (var (field, value) in SubscriberIndex.Builder.Values(s))
            {
                builder.TryClaim(field, value, s);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>
    /// One 128-bit key for both families: IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d, so a device is the same
    /// device whichever socket family the listener used.
    /// </summary>
    internal static UInt128 Key(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[..10].Clear();
            bytes[10] = 0xff;
            bytes[11] = 0xff;
            address.TryWriteBytes(bytes[12..], out _);
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
        }

        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
