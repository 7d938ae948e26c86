using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Adapters;
using Gateway.Registry;

namespace Gateway.Funnel;

/// <summary>
/// A group's <c>SoracomFunnel</c> namespace compiled once per group object (a group object lives exactly as long as
/// the registry version that holds it): the destination and its factory, the content type, the flags, and the
/// destination object already rendered as the envelope's <c>destination</c> bytes.
/// </summary>
internal sealed class FunnelGroupConfig
{
    private static readonly ConditionalWeakTable<Group, FunnelGroupConfig> s_cache = [];
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ConcurrentDictionary<string, FunnelRoute> _routes = new(StringComparer.Ordinal);
    private readonly RegistrySnapshot _snapshot;

    private FunnelGroupConfig(RegistrySnapshot snapshot) => _snapshot = snapshot;

    public static FunnelGroupConfig Disabled { get; } = new(RegistrySnapshot.Empty);

    public bool Enabled { get; private init; }

    public FunnelDestination? Destination { get; private init; }

    public IFunnelAdapterFactory? Factory { get; private init; }

    /// <summary>As configured; may hold <c>#{imsi}</c>.</summary>
    public string? CredentialsId { get; private init; }

    public FunnelContentType ContentType { get; private init; }

    public bool AddSimId { get; private init; }

    /// <summary><c>delivery: "queued"</c>: the device is answered once the message is in the spool, not by the destination.</summary>
    public bool Queued { get; private init; }

    /// <summary>The group's ID, which a spooled message keeps so that its delivery finds the group's destination again.</summary>
    public string GroupId { get; private init; } = string.Empty;

    public bool PayloadsOnly { get; private init; }

    /// <summary>
    /// AWS IoT's <c>sendPayloadsAsBinary</c>: the device's raw bytes are the message, not the envelope. Only aws/aws-iot
    /// has it (spec §3.3); its factory refuses <c>true</c> elsewhere, and it is ignored here for any other destination.
    /// </summary>
    public bool SendPayloadsAsBinary { get; private init; }

    /// <summary>The envelope's <c>destination</c> value: provider, service, resourceUrl, then the other keys as configured.</summary>
    public byte[] DestinationJson { get; private init; } = [];

    /// <summary><c>provider/service</c>: the metric tag and the name in logs (never the URL, which may hold a token).</summary>
    public string Kind { get; private init; } = "-";

    /// <summary>The destination's identity for the dispatcher: kind and settings.</summary>
    public string DestinationKey { get; private init; } = string.Empty;

    /// <summary>Enabled, with a destination this build has an adapter for.</summary>
    public bool Usable => Enabled && Factory is not null && Destination is not null;

    /// <summary>True when delivery needs the device's IMSI (a <c>#{imsi}</c> resourceUrl or credentials ID).</summary>
    public bool NeedsImsi => Destination?.IsPerSubscriber == true || CredentialsId?.Contains(FunnelConfigValidator.Placeholder, StringComparison.Ordinal) == true;

    public static FunnelGroupConfig For(Group? group, RegistrySnapshot snapshot, IReadOnlyList<IFunnelAdapterFactory> factories) =>
        group is null ? Disabled : s_cache.GetValue(group, g => Compile(g, snapshot, factories));

    /// <summary>The route for a subscriber (the same one for every subscriber unless the credentials ID holds <c>#{imsi}</c>).</summary>
    public FunnelRoute RouteFor(string imsi)
    {
        var id = CredentialsId?.Replace(FunnelConfigValidator.Placeholder, imsi, StringComparison.Ordinal) ?? string.Empty;
        return _routes.GetOrAdd(id, static (id, self) => self.Resolve(id), this);
    }

    private FunnelRoute Resolve(string id)
    {
        if (id.Length == 0)
        {
            return new FunnelRoute(DestinationKey + "\n", null, null, null, null);
        }

        if (_snapshot.FindCredential(id) is not { } set)
        {
            return new FunnelRoute(string.Empty, id, null, null, $"no credential set '{id}'");
        }

        if (!Factory!.CredentialTypes.Contains(set.Type))
        {
            return new FunnelRoute(string.Empty, id, null, null, $"credential set '{id}' is of type {set.Type}; {Kind} takes {string.Join(" or ", Factory.CredentialTypes)}");
        }

        var fingerprint = Fingerprint(set);
        var credentials = new AdapterCredentials { CredentialsId = id, Type = set.Type, Values = set.Credentials };
        return new FunnelRoute($"{DestinationKey}\n{id}\n{fingerprint}", id, fingerprint, credentials, null);
    }

    /// <summary>A hash of the secret fields: tells a changed secret apart without keeping or showing it.</summary>
    public static string Fingerprint(CredentialSet set) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(set.Type + "\n" + set.Credentials.ToJsonString())), 0, 16);

    private static FunnelGroupConfig Compile(Group group, RegistrySnapshot snapshot, IReadOnlyList<IFunnelAdapterFactory> factories)
    {
        // The registry validated the namespace; anything unusable here leaves Funnel idle rather than throwing.
        if (group.Configuration["SoracomFunnel"] is not JsonObject map || map["destination"] is not JsonObject dest
            || (string?)dest["provider"] is not { } provider || (string?)dest["service"] is not { } service || (string?)dest["resourceUrl"] is not { } url)
        {
            return Disabled;
        }

        var destination = new FunnelDestination { Provider = provider, Service = service, ResourceUrl = url, Settings = dest };
        var json = RenderDestination(dest);
        return new FunnelGroupConfig(snapshot)
        {
            Enabled = map["enabled"] is JsonValue e && e.GetValueKind() == JsonValueKind.True,
            Destination = destination,
            Factory = FunnelAdapters.Find(factories, provider, service),
            CredentialsId = (string?)map["credentialsId"],
            ContentType = ParseContentType((string?)map["contentType"]),
            AddSimId = map["addSimId"] is JsonValue a && a.GetValueKind() == JsonValueKind.True,
            Queued = Spool.DeliveryMode.IsQueued(map),
            GroupId = group.GroupId,
            PayloadsOnly = destination.Flag("payloadsOnly"),
            SendPayloadsAsBinary = provider == "aws" && service == "aws-iot" && destination.Flag("sendPayloadsAsBinary"),
            DestinationJson = json,
            Kind = $"{provider}/{service}",
            DestinationKey = $"{provider}/{service}\n{Encoding.UTF8.GetString(json)}",
        };
    }

    /// <summary>
    /// True when the group's Funnel is on and takes <c>application/x-soracom-bf-v1</c>: the TCP entry point then frames
    /// the connection (spec §3.3, §7). Read from the namespace itself, without the adapter factories, because the
    /// entry point decides its framing once, when the device connects.
    /// </summary>
    public static bool FramesTcp(Group? group) =>
        group?.Configuration["SoracomFunnel"] is JsonObject map
        && map["enabled"] is JsonValue e && e.GetValueKind() == JsonValueKind.True
        && map["contentType"] is JsonValue c && c.TryGetValue<string>(out var contentType)
        && ParseContentType(contentType) == FunnelContentType.BinaryFormatV1;

    public static FunnelContentType ParseContentType(string? value) => value switch
    {
        "json" => FunnelContentType.Json,
        "text" => FunnelContentType.Text,
        "binary" => FunnelContentType.Binary,
        "application/x-soracom-bf-v1" => FunnelContentType.BinaryFormatV1,
        _ => FunnelContentType.Unspecified,
    };

    private static byte[] RenderDestination(JsonObject dest)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_writerOptions))
        {
            writer.WriteStartObject();
            foreach (var name in (string[])["provider", "service", "resourceUrl"])
            {
                writer.WritePropertyName(name);
                dest[name]!.WriteTo(writer);
            }

            foreach (var (name, value) in dest)
            {
                if (name is not ("provider" or "service" or "resourceUrl"))
                {
                    writer.WritePropertyName(name);
                    if (value is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(writer);
                    }
                }
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
