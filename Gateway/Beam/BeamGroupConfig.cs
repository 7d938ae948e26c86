using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Beam;

/// <summary>
/// A group's <c>SoracomBeam</c> namespace compiled: entries by entry point, HTTP entries by path. Compiled once per
/// group object (a group object lives exactly as long as the registry version that holds it), then reused by
/// every message of every device of the group.
/// </summary>
internal sealed class BeamGroupConfig
{
    private static readonly ConditionalWeakTable<Group, BeamGroupConfig> s_cache = [];
    private readonly RegistrySnapshot _snapshot;
    private readonly ConcurrentDictionary<string, SoracomSigner?> _templateSigners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UpstreamTls?> _templateTls = new(StringComparer.Ordinal);

    private BeamGroupConfig(RegistrySnapshot snapshot) => _snapshot = snapshot;

    public static BeamGroupConfig Empty { get; } = new(RegistrySnapshot.Empty);

    /// <summary>HTTP (:8888) entries, longest path first.</summary>
    public IReadOnlyList<BeamEntry> Http { get; private init; } = [];

    public BeamEntry? Website { get; private init; }

    public BeamEntry? TcpToHttp { get; private init; }

    public BeamEntry? UdpToHttp { get; private init; }

    public BeamEntry? TcpToTcp { get; private init; }

    public BeamEntry? Mqtt { get; private init; }

    public BeamEntry? LoraToHttp { get; private init; }

    public BeamEntry? SigfoxToHttp { get; private init; }

    public static BeamGroupConfig For(Group? group, RegistrySnapshot snapshot) =>
        group is null ? Empty
        // The cached case first, without the factory: a lambda capturing a parameter makes its closure on entry to the
        // method that declares it, so one per message was allocated for nothing.
        : s_cache.TryGetValue(group, out var config) ? config
        : CompileOnce(group, snapshot);

    private static BeamGroupConfig CompileOnce(Group group, RegistrySnapshot snapshot) =>
        s_cache.GetValue(group, g => Compile(g, snapshot));

    /// <summary>
    /// The HTTP entry for a request path. A configured path ending in <c>/</c> matches itself and everything below
    /// it; any other path matches only exactly. The longest match wins. The remainder below a prefix is returned so
    /// it can be appended to the destination.
    /// </summary>
    public BeamEntry? MatchHttp(string path, out string remainder)
    {
        var entry = MatchHttp(path.AsSpan(), out var remainderStart);
        remainder = entry is null ? string.Empty : path[remainderStart..];
        return entry;
    }

    /// <summary>The same match over a path not made into a string (the relay's); the remainder starts at <paramref name="remainderStart"/>.</summary>
    public BeamEntry? MatchHttp(ReadOnlySpan<char> path, out int remainderStart)
    {
        foreach (var entry in Http)
        {
            var configured = entry.Key.Path;
            if (path.SequenceEqual(configured))
            {
                remainderStart = path.Length;
                return entry;
            }

            if (configured.EndsWith('/') && path.StartsWith(configured, StringComparison.Ordinal))
            {
                remainderStart = configured.Length;
                return entry;
            }
        }

        remainderStart = path.Length;
        return null;
    }

    /// <summary>The signer for an entry and subscriber: fixed, or from a <c>#{imsi}</c> credentials ID.</summary>
    public SoracomSigner? SignerFor(BeamEntry entry, string imsi)
    {
        if (entry.Signer is not null || entry.PskCredentialsTemplate is null)
        {
            return entry.Signer;
        }

        // An anonymous device (a group's address range) has no IMSI to put into a per-SIM credentials ID.
        if (imsi.Length == 0)
        {
            return null;
        }

        var id = entry.PskCredentialsTemplate.Replace("#{imsi}", imsi, StringComparison.Ordinal);
        return _templateSigners.GetOrAdd(id, static (key, snapshot) =>
            snapshot.FindCredential(key) is { Type: "psk" } c && c.Credentials["key"] is JsonValue v && v.TryGetValue<string>(out var psk) && psk.Length > 0
                ? new SoracomSigner(psk)
                : null, _snapshot);
    }

    private static BeamGroupConfig Compile(Group group, RegistrySnapshot snapshot)
    {
        var http = new List<BeamEntry>();
        BeamEntry? website = null, tcpHttp = null, udpHttp = null, tcpTcp = null, mqtt = null, lora = null, sigfox = null;
        if (group.Configuration["SoracomBeam"] is JsonObject beam)
        {
            foreach (var (key, value) in beam)
            {
                // The registry validated every entry; anything unusable here is skipped rather than thrown.
                // A destination with user-info never becomes an entry, so no log line or reply that names it can show a password.
                if (!BeamEntryPointKey.TryParse(key, out var ep, out _) || value is not JsonObject o
                    || !Uri.TryCreate((string?)o["destination"], UriKind.Absolute, out var destination) || destination.UserInfo.Length > 0)
                {
                    continue;
                }

                var entry = CompileEntry(ep, o, destination, snapshot);
                switch (ep.Kind)
                {
                    case BeamEntryPoint.Http: http.Add(entry); break;
                    case BeamEntryPoint.Website: website = entry; break;
                    case BeamEntryPoint.TcpToHttp: tcpHttp = entry; break;
                    case BeamEntryPoint.UdpToHttp: udpHttp = entry; break;
                    case BeamEntryPoint.TcpToTcp: tcpTcp = entry; break;
                    case BeamEntryPoint.Mqtt: mqtt = entry; break;
                    case BeamEntryPoint.LoraToHttp: lora = entry; break;
                    case BeamEntryPoint.SigfoxToHttp: sigfox = entry; break;
                    default: break;
                }
            }
        }

        return new BeamGroupConfig(snapshot)
        {
            Http = [.. http.OrderByDescending(static e => e.Key.Path.Length)],
            Website = website,
            TcpToHttp = tcpHttp,
            UdpToHttp = udpHttp,
            TcpToTcp = tcpTcp,
            Mqtt = mqtt,
            LoraToHttp = lora,
            SigfoxToHttp = sigfox,
        };
    }

    private static BeamEntry CompileEntry(BeamEntryPointKey key, JsonObject o, Uri destination, RegistrySnapshot snapshot)
    {
        bool Flag(string name) => o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

        var (signer, template) = Secret(o["psk"], snapshot) switch
        {
            { Value: { } psk } => (new SoracomSigner(psk), (string?)null),
            { Template: { } pattern } => (null, pattern),
            _ => (null, null),
        };

        HttpMessageSigner? messageSigner = null;
        if (o["messageSignature"] is JsonObject ms && (string?)ms["keyId"] is { } keyId && Secret(ms["key"], snapshot).Value is { } hmacKey)
        {
            messageSigner = new HttpMessageSigner(keyId, Encoding.UTF8.GetBytes(hmacKey));
        }

        var version = (string?)o["version"] ?? "201509";
        var eod = (string?)o["eodBytes"];
        var headers = new List<CustomHeader>();
        if (o["customHeaders"] is JsonObject custom)
        {
            foreach (var (name, rule) in custom)
            {
                var action = (string?)rule?["action"] switch
                {
                    "append" => HeaderAction.Append,
                    "delete" => HeaderAction.Delete,
                    _ => HeaderAction.Replace,
                };
                headers.Add(new CustomHeader(action, (string?)rule?["headerKey"] ?? name, (string?)rule?["headerValue"]));
            }
        }

        return new BeamEntry
        {
            Tls = CompileTls(o, snapshot, out var certTemplate, out var caPem),
            ClientCertTemplate = certTemplate,
            CaPem = caPem,
            Key = key,
            Name = (string?)o["name"],
            Enabled = o["enabled"] is not JsonValue en || en.GetValueKind() != JsonValueKind.False,
            Destination = destination,
            AddImsi = Flag("addSubscriberHeader"),
            AddImei = Flag("addEquipmentHeader"),
            AddMsisdn = Flag("addMsisdnHeader"),
            AddSimId = Flag("addSimIdHeader"),
            AddSignature = Flag("addSignature"),
            AddDeviceId = Flag("addDeviceIdHeader"),
            Signer = signer,
            PskCredentialsTemplate = template,
            CustomHeaders = headers,
            Authorization = (string?)o["authorization"],
            UserName = (string?)o["username"],
            Password = (string?)o["password"],
            UseClientCredentials = Flag("useClientCredentials"),
            MessageSigner = messageSigner,
            SkipStatusCode = Flag("skipStatusCode"),
            Version = version,
            EndOfData = eod is null ? (version == "201509" ? [0x0a] : []) : Convert.FromHexString(eod),
            BinaryFormatV1 = Flag("binaryFormatV1Enabled"),
            Timeout = o["timeoutSeconds"] is JsonValue t && t.TryGetValue<double>(out var s) ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>
    /// <c>caCertificate</c> (PEM, or an x509 credential set's <c>ca</c>) and, with <c>useClientCert</c>,
    /// <c>clientCerts.default</c> (an x509 credential set, or inline <c>{cert, key}</c>).
    /// </summary>
    private static UpstreamTls? CompileTls(JsonObject o, RegistrySnapshot snapshot, out string? clientCertTemplate, out string? caPem)
    {
        clientCertTemplate = null;
        string? ca = o["caCertificate"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var pem) => pem,
            JsonObject r when (string?)r["$credentialsId"] is { } id => (string?)snapshot.FindCredential(id)?.Credentials["ca"],
            _ => null,
        };
        string? cert = null, key = null;
        if (o["useClientCert"] is JsonValue use && use.GetValueKind() == JsonValueKind.True && o["clientCerts"]?["default"] is JsonObject d)
        {
            if ((string?)d["$credentialsId"] is { } template && template.Contains("#{", StringComparison.Ordinal))
            {
                // Per SIM (e.g. AWS IoT certificates "aws-iot-#{imsi}"): resolved for each subscriber by TlsFor.
                clientCertTemplate = template;
            }
            else
            {
                var source = (string?)d["$credentialsId"] is { } id ? snapshot.FindCredential(id)?.Credentials : d;
                cert = (string?)source?["cert"];
                key = (string?)source?["key"];
                ca ??= (string?)source?["ca"];
            }
        }

        caPem = ca;
        return UpstreamTls.Create(ca, cert, key);
    }

    /// <summary>
    /// The TLS profile for an entry and subscriber: the entry's own, or with a per-SIM client certificate from a
    /// <c>#{imsi}</c> credentials ID (no certificate when that credential set is missing, so the handshake fails
    /// at an upstream that requires one).
    /// </summary>
    public UpstreamTls? TlsFor(BeamEntry entry, string imsi)
    {
        if (entry.ClientCertTemplate is null || imsi.Length == 0)
        {
            return entry.Tls;
        }

        var id = entry.ClientCertTemplate.Replace("#{imsi}", imsi, StringComparison.Ordinal);
        return _templateTls.GetOrAdd(id, static (key, state) =>
        {
            var credentials = state.Snapshot.FindCredential(key) is { Type: "x509" } c ? c.Credentials : null;
            return UpstreamTls.Create(state.Entry.CaPem ?? (string?)credentials?["ca"], (string?)credentials?["cert"], (string?)credentials?["key"]);
        }, (Snapshot: _snapshot, Entry: entry));
    }

    /// <summary>A secret given inline, by a fixed credentials ID (resolved now), or by a <c>#{imsi}</c> template.</summary>
    private static (string? Value, string? Template) Secret(JsonNode? node, RegistrySnapshot snapshot)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var inline))
        {
            return (inline, null);
        }

        if ((string?)node?["$credentialsId"] is not { } id)
        {
            return (null, null);
        }

        if (id.Contains("#{", StringComparison.Ordinal))
        {
            return (null, id);
        }

        return ((string?)snapshot.FindCredential(id)?.Credentials["key"], null);
    }
}
