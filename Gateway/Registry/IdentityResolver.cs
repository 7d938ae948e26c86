using System.Diagnostics.Metrics;
using System.Net;

namespace Gateway.Registry;

/// <summary>
/// Answers "which subscriber sent this, and may it be served?" from what the network says: the source address
/// (a RADIUS binding first, then static addresses, then ranges), a client certificate, or an LPWA device ID.
/// Never from anything the device sends. Applies SORACOM's IMEI lock, including the <c>|ANONYMOUS</c> suffix.
/// Every device it admits is marked seen in <paramref name="sessions"/> (when given): each entry point asks here first.
/// </summary>
internal sealed class IdentityResolver(Sessions.DeviceSessions? sessions = null)
{
    internal const string MeterName = "Gateway.Identity";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_refusals = s_meter.CreateCounter<long>(
        "gateway.identity.refusals", description: "Messages refused because their origin did not resolve to an active subscriber, by reason.");

    private readonly BindingTable _bindings = new();
    private volatile RegistrySnapshot _snapshot = RegistrySnapshot.Empty;

    public RegistrySnapshot Snapshot => _snapshot;

    /// <summary>Installs a new registry view; messages already being handled keep the one they started with.</summary>
    public void Publish(RegistrySnapshot snapshot) => _snapshot = snapshot ?? throw new ArgumentNullException(nameof(snapshot));

    public void Bind(IPAddress address, AddressBinding binding) => _bindings.Set(RegistrySnapshot.Key(address), binding);

    public bool Unbind(IPAddress address, string? imsi = null)
    {
        var key = RegistrySnapshot.Key(address);
        // A Stop for an old session must not remove a newer binding of the same address to another SIM.
        return imsi is null
            ? _bindings.Remove(key)
            : _bindings.TryGetValue(key, out var current) && current.Imsi == imsi && _bindings.Remove(key, current);
    }

    /// <summary>Replaces every binding with what the store holds (bindings made by any instance).</summary>
    public void ReplaceBindings(IEnumerable<(string Address, AddressBinding Binding)> bindings)
    {
        var fresh = new Dictionary<UInt128, AddressBinding>();
        foreach (var (address, binding) in bindings)
        {
            if (IPAddress.TryParse(address, out var ip))
            {
                fresh[RegistrySnapshot.Key(ip)] = binding;
            }
        }

        foreach (var key in _bindings.Keys())
        {
            if (!fresh.ContainsKey(key))
            {
                _bindings.Remove(key);
            }
        }

        foreach (var (key, binding) in fresh)
        {
            _bindings.Set(key, binding);
        }
    }

    /// <summary>
    /// One address as the store now holds it (<paramref name="binding"/> null: unbound), from another instance's change
    /// read incrementally: the rest of the bindings are left as they are.
    /// </summary>
    public void ApplyBinding(string address, AddressBinding? binding)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return;
        }

        if (binding is null)
        {
            _bindings.Remove(RegistrySnapshot.Key(ip));
        }
        else
        {
            _bindings.Set(RegistrySnapshot.Key(ip), binding);
        }
    }

    public AddressBinding? FindBinding(IPAddress address) => _bindings.GetValueOrDefault(RegistrySnapshot.Key(address));

    public DeviceIdentity ResolveAddress(IPAddress address)
    {
        var snapshot = _snapshot;
        if (_bindings.TryGetValue(RegistrySnapshot.Key(address), out var binding))
        {
            var bound = snapshot.FindByImsi(binding.Imsi);
            return bound is null ? Refuse(RefusalReason.UnknownDevice) : Check(snapshot, bound, binding.Imei ?? bound.Imei);
        }

        var subscriber = snapshot.FindByAddress(address);
        return subscriber is null ? Refuse(RefusalReason.UnknownDevice) : Check(snapshot, subscriber, subscriber.Imei);
    }

    /// <summary>
    /// A TLS client certificate: pinned by SHA-256 thumbprint, or, when the certificate chains to the device CA
    /// (<paramref name="issuedByDeviceCa"/>), by subject.
    /// </summary>
    public DeviceIdentity ResolveCertificate(string sha256Thumbprint, string? subject = null, bool issuedByDeviceCa = false)
    {
        var snapshot = _snapshot;
        var subscriber = snapshot.FindByThumbprint(sha256Thumbprint)
            ?? (issuedByDeviceCa && subject is not null ? snapshot.FindBySubject(subject) : null);
        return subscriber is null ? Refuse(RefusalReason.UnknownDevice) : Check(snapshot, subscriber, subscriber.Imei);
    }

    public DeviceIdentity ResolveLora(string devEui)
    {
        var snapshot = _snapshot;
        var subscriber = snapshot.FindByLoraDeviceId(devEui);
        return subscriber is null ? Refuse(RefusalReason.UnknownDevice) : Check(snapshot, subscriber, null);
    }

    public DeviceIdentity ResolveSigfox(string deviceId)
    {
        var snapshot = _snapshot;
        var subscriber = snapshot.FindBySigfoxDeviceId(deviceId);
        return subscriber is null ? Refuse(RefusalReason.UnknownDevice) : Check(snapshot, subscriber, null);
    }

    /// <summary>
    /// SORACOM's IMEI lock: the session's IMEI must equal the locked one; with <c>|ANONYMOUS</c> a session that
    /// reports no IMEI is let through too. LPWA devices report no IMEI, so a lock without <c>|ANONYMOUS</c> refuses them.
    /// </summary>
    internal static bool ImeiLockAllows(string? imeiLock, string? imei)
    {
        if (imeiLock is null)
        {
            return true;
        }

        var anonymousOk = imeiLock.EndsWith("|ANONYMOUS", StringComparison.Ordinal);
        var locked = anonymousOk ? imeiLock[..^"|ANONYMOUS".Length] : imeiLock;
        return imei is null ? anonymousOk : string.Equals(imei, locked, StringComparison.Ordinal);
    }

    private DeviceIdentity Check(RegistrySnapshot snapshot, Subscriber subscriber, string? imei)
    {
        if (!subscriber.IsActive)
        {
            return Refuse(RefusalReason.Inactive, subscriber);
        }

        if (!ImeiLockAllows(subscriber.ImeiLock, imei))
        {
            return Refuse(RefusalReason.ImeiMismatch, subscriber);
        }

        sessions?.Seen(subscriber.Imsi);
        return new DeviceIdentity(subscriber, snapshot.FindGroup(subscriber.GroupId), imei, RefusalReason.None);
    }

    private static DeviceIdentity Refuse(RefusalReason reason, Subscriber? subscriber = null)
    {
        s_refusals.Add(1, new KeyValuePair<string, object?>("reason", RefusalTags.Of(reason)));
        return DeviceIdentity.Refused(reason, subscriber);
    }
}
