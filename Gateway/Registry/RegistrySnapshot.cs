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
    private readonly Dictionary<string, Subscriber> _byImsi = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<UInt128, Subscriber> _byAddress = [];
    private readonly Dictionary<string, Subscriber> _byThumbprint = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Subscriber> _bySubject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscriber> _byLora = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Subscriber> _bySigfox = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CredentialSet> _credentials = new(StringComparer.Ordinal);

    // Ranges grouped by prefix length, longest first: at most 129 probes, usually one or two.
    private readonly (int PrefixLength, UInt128 Mask, Dictionary<UInt128, Subscriber> Networks)[] _ranges;

    // Groups' anonymous ranges, the same way; the value is the group's stand-in subscriber, made once here.
    private readonly (int PrefixLength, UInt128 Mask, Dictionary<UInt128, Subscriber> Networks)[] _groupRanges;

    public RegistrySnapshot(RegistryDocument document, long version = 0)
    {
        ArgumentNullException.ThrowIfNull(document);
        Document = document;
        Version = version;
        var groupRanges = new SortedDictionary<int, Dictionary<UInt128, Subscriber>>(Comparer<int>.Create(static (a, b) => b.CompareTo(a)));
        foreach (var g in document.Groups)
        {
            _groups[g.GroupId] = g;
            if (g.IpRanges.Count > 0)
            {
                var anonymous = Subscriber.AnonymousIn(g.GroupId);
                foreach (var range in g.IpRanges)
                {
                    AddRange(groupRanges, range, anonymous);
                }
            }
        }

        foreach (var c in document.Credentials)
        {
            _credentials[c.CredentialsId] = c;
        }

        var ranges = new SortedDictionary<int, Dictionary<UInt128, Subscriber>>(Comparer<int>.Create(static (a, b) => b.CompareTo(a)));
        foreach (var s in document.Subscribers)
        {
            _byImsi[s.Imsi] = s;
            if (s.IpAddress is not null)
            {
                _byAddress[Key(IPAddress.Parse(s.IpAddress))] = s;
            }

            foreach (var range in s.IpRanges)
            {
                AddRange(ranges, range, s);
            }

            foreach (var t in s.CertificateThumbprints)
            {
                _byThumbprint[t] = s;
            }

            foreach (var subject in s.CertificateSubjects)
            {
                _bySubject[subject] = s;
            }

            if (s.LoraDeviceId is not null)
            {
                _byLora[s.LoraDeviceId] = s;
            }

            if (s.SigfoxDeviceId is not null)
            {
                _bySigfox[s.SigfoxDeviceId] = s;
            }
        }

        _ranges = [.. ranges.Select(static r => (r.Key, MaskFor(r.Key), r.Value))];
        _groupRanges = [.. groupRanges.Select(static r => (r.Key, MaskFor(r.Key), r.Value))];
    }

    public static RegistrySnapshot Empty { get; } = new(new RegistryDocument());

    public RegistryDocument Document { get; }

    /// <summary>The store's change counter this snapshot reflects.</summary>
    public long Version { get; }

    public Subscriber? FindByImsi(string imsi) => _byImsi.GetValueOrDefault(imsi);

    public Group? FindGroup(string? groupId) => groupId is null ? null : _groups.GetValueOrDefault(groupId);

    public CredentialSet? FindCredential(string credentialsId) => _credentials.GetValueOrDefault(credentialsId);

    public Subscriber? FindByThumbprint(string sha256Hex) => _byThumbprint.GetValueOrDefault(sha256Hex);

    public Subscriber? FindBySubject(string subject) => _bySubject.GetValueOrDefault(subject);

    public Subscriber? FindByLoraDeviceId(string devEui) => _byLora.GetValueOrDefault(devEui);

    public Subscriber? FindBySigfoxDeviceId(string id) => _bySigfox.GetValueOrDefault(id);

    /// <summary>
    /// The subscriber whose static address is this one, else the one with the longest matching range, else the
    /// anonymous stand-in of the group with the longest matching range. A SIM's own address or range always wins
    /// over a group's range, however long: a known SIM is the more specific answer.
    /// </summary>
    public Subscriber? FindByAddress(IPAddress address)
    {
        var key = Key(address);
        if (_byAddress.TryGetValue(key, out var exact))
        {
            return exact;
        }

        return Longest(_ranges, key) ?? Longest(_groupRanges, key);
    }

    private static Subscriber? Longest((int PrefixLength, UInt128 Mask, Dictionary<UInt128, Subscriber> Networks)[] ranges, UInt128 key)
    {
        foreach (var (_, mask, networks) in ranges)
        {
            if (networks.TryGetValue(key & mask, out var s))
            {
                return s;
            }
        }

        return null;
    }

    private static void AddRange(SortedDictionary<int, Dictionary<UInt128, Subscriber>> ranges, string range, Subscriber owner)
    {
        var network = IPNetwork.Parse(range);
        var length = PrefixLength(network);
        if (!ranges.TryGetValue(length, out var map))
        {
            ranges[length] = map = [];
        }

        map[Key(network.BaseAddress) & MaskFor(length)] = owner;
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

    private static int PrefixLength(IPNetwork network) =>
        network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? network.PrefixLength + 96 : network.PrefixLength;

    private static UInt128 MaskFor(int prefixLength) =>
        prefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefixLength);
}
