using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// Turns registry JSON in SORACOM's shapes into a <see cref="RegistryDocument"/>, checking everything that can be
/// checked before a message arrives. Every problem is reported, each with the path of the offending value, e.g.
/// <c>groups[g-sensors].configuration.SoracomBeam["tcp://beam.soracom.io:8023"].destination: not a tcp:// or tcps:// URL</c>.
/// Fields SORACOM returns that the gateway does not use (operatorId, speedClass, …) are accepted and ignored,
/// so exported JSON loads unchanged.
/// </summary>
internal static class RegistryParser
{
    /// <summary>The configuration namespaces SORACOM defines.</summary>
    public static readonly IReadOnlyList<string> Namespaces =
    [
        "SoracomAir", "SoracomBeam", "SoracomEndorse", "SoracomFlux", "SoracomFunk", "SoracomFunnel",
        "SoracomHarvest", "SoracomHarvestFiles", "SoracomKrypton", "SoracomOrbit", "UnifiedEndpoint",
        GatewayIdentityNamespace,
    ];

    /// <summary>
    /// The gateway's own namespace (SORACOM has none like it): <c>ipRanges</c>, address ranges whose devices belong
    /// to the group without a SIM of their own (VPN peers, LAN hosts). Kept in the configuration so the same
    /// <c>PUT /v1/groups/{id}/configuration/{namespace}</c> route edits it.
    /// </summary>
    public const string GatewayIdentityNamespace = "GatewayIdentity";

    private static readonly string[] s_statuses = ["active", "inactive", "ready", "standby", "suspended", "terminated"];

    /// <summary>Whether a subscriber status is one SORACOM defines.</summary>
    internal static bool IsStatus(string status) => s_statuses.Contains(status);
    private static readonly string[] s_headerActions = ["append", "replace", "delete"];

    private static readonly string[] s_beamBooleans =
    [
        "enabled", "addSubscriberHeader", "addSimIdHeader", "addMsisdnHeader", "addEquipmentHeader", "addSignature",
        "skipStatusCode", "useClientCert", "useClientCredentials", "replaceTopic", "addDeviceIdHeader", "binaryFormatV1Enabled",
    ];

    /// <summary>Parses a whole seed document <c>{ "groups": [...], "subscribers": [...], "credentials": [...] }</c>.</summary>
    public static RegistryDocument? Parse(JsonNode? root, List<string> errors)
    {
        if (root is not JsonObject doc)
        {
            errors.Add("$: the registry must be a JSON object with groups, subscribers and credentials");
            return null;
        }

        foreach (var (name, _) in doc)
        {
            if (name is not ("groups" or "subscribers" or "credentials"))
            {
                errors.Add($"{name}: unknown section; expected groups, subscribers or credentials");
            }
        }

        var (groups, credentials) = ParseGroupsAndCredentials(doc, errors);
        var groupIds = groups.Select(static g => g.GroupId).ToHashSet(StringComparer.Ordinal);
        var subscribers = ParseList(doc, "subscribers", errors, (o, path, e) => ParseSubscriber(o, path, e, groupIds.Contains), static s => s.Imsi);
        CheckUniqueAddresses(subscribers, errors);
        CheckUniqueGroupRanges(groups, errors);
        return errors.Count == 0 ? new RegistryDocument { Groups = groups, Subscribers = subscribers, Credentials = credentials } : null;
    }

    /// <summary>
    /// The few elements of a registry (credential sets, then groups, which may refer to them), as <see cref="Parse"/>
    /// reads them; subscribers are parsed one by one with <see cref="ParseSubscriberElement"/>.
    /// </summary>
    internal static (List<Group> Groups, List<CredentialSet> Credentials) ParseGroupsAndCredentials(JsonObject doc, List<string> errors)
    {
        var credentials = ParseList(doc, "credentials", errors, ParseCredentialSet, static c => c.CredentialsId);
        var credentialTypes = credentials.ToDictionary(static c => c.CredentialsId, static c => c.Type, StringComparer.Ordinal);
        var groups = ParseList(doc, "groups", errors, (o, path, e) => ParseGroup(o, path, e, credentialTypes), static g => g.GroupId);
        return (groups, credentials);
    }

    /// <summary>
    /// One subscriber, at <paramref name="index"/> of the subscribers array, with the path and errors
    /// <see cref="Parse"/> gives it; <paramref name="groupExists"/> answers for its groupId.
    /// </summary>
    internal static Subscriber? ParseSubscriberElement(JsonObject element, int index, Func<string, bool> groupExists, List<string> errors) =>
        ParseSubscriber(element, $"subscribers[{SubscriberLabel(element, index)}]", errors, groupExists);

    /// <summary>How paths name a subscriber element: its IMSI when it has a usable one, else its index.</summary>
    internal static string SubscriberLabel(JsonObject element, int index) =>
        ElementLabel(element, "subscribers") ?? index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The error <see cref="Parse"/> gives an element whose ID an earlier element of the same section has.</summary>
    internal static string DuplicateError(string section, string label) => $"{section}[{label}]: duplicate; another element has the same ID";

    /// <summary>The error <see cref="Parse"/> gives a subscriber in a group that does not exist.</summary>
    internal static string NoGroupError(string path, string groupId) => $"{path}.groupId: no group '{groupId}'";

    /// <summary>The error <see cref="Parse"/> gives a subscriber whose identifying value another subscriber already has.</summary>
    internal static string TakenError(string imsi, string field, string value, string owner) =>
        $"subscribers[{imsi}].{field}: '{value}' already identifies subscriber {owner}";

    private static List<T> ParseList<T>(JsonObject doc, string section, List<string> errors, Func<JsonObject, string, List<string>, T?> parse, Func<T, string> id)
        where T : class
    {
        var result = new List<T>();
        if (!doc.TryGetPropertyValue(section, out var node) || node is null)
        {
            return result;
        }

        if (node is not JsonArray array)
        {
            errors.Add($"{section}: must be an array");
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject element)
            {
                errors.Add($"{section}[{i}]: must be an object");
                continue;
            }

            var label = ElementLabel(element, section) ?? i.ToString(CultureInfo.InvariantCulture);
            var item = parse(element, $"{section}[{label}]", errors);
            if (item is not null && !seen.Add(id(item)))
            {
                errors.Add(DuplicateError(section, label));
            }
            else if (item is not null)
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static string? ElementLabel(JsonObject element, string section)
    {
        var key = section switch { "groups" => "groupId", "subscribers" => "imsi", _ => "credentialsId" };
        var label = element[key] is JsonValue v
            ? v.GetValueKind() switch
            {
                JsonValueKind.String => v.GetValue<string>(),
                JsonValueKind.Number => v.ToJsonString(),
                _ => null,
            }
            : null;
        return label is { Length: > 0 and <= 128 } ? label : null;
    }

    // ---- credentials ----

    private static CredentialSet? ParseCredentialSet(JsonObject o, string path, List<string> errors)
    {
        var before = errors.Count;
        var id = RequiredString(o, "credentialsId", path, errors);
        if (id is not null && !IsSafeId(id))
        {
            errors.Add($"{path}.credentialsId: 1-128 printable characters without spaces");
        }

        var type = RequiredString(o, "type", path, errors);
        if (type is not null && !CredentialSet.KnownTypes.Contains(type))
        {
            errors.Add($"{path}.type: unknown credential type '{type}'");
        }

        var description = OptionalString(o, "description", path, errors);
        JsonObject credentials = [];
        if (o["credentials"] is JsonObject c)
        {
            credentials = (JsonObject)c.DeepClone();
            foreach (var field in type is null ? [] : CredentialSet.RequiredFields(type))
            {
                if (c[field] is not JsonValue v || !v.TryGetValue<string>(out var s) || s.Length == 0)
                {
                    // Name the field, never echo its value: it is a secret.
                    errors.Add($"{path}.credentials.{field}: required for type {type}");
                }
            }

            // The key file inside a google-service-account-json set is checked now, so that a set the Pub/Sub
            // destination cannot use is refused at load; the message names the field, never a value.
            if (type == Adapters.PubSub.GoogleServiceAccountJson.CredentialType && c["credentials"] is JsonValue json
                && json.TryGetValue<string>(out var keyFile) && keyFile.Length > 0
                && Adapters.PubSub.GoogleServiceAccountJson.Problem(keyFile) is { } problem)
            {
                errors.Add($"{path}.credentials.credentials: {problem}");
            }

            foreach (var field in type is null ? [] : CredentialSet.OptionalFields(type))
            {
                if (c[field] is { } value && (value is not JsonValue v || !v.TryGetValue<string>(out _)))
                {
                    errors.Add($"{path}.credentials.{field}: must be a string for type {type}");
                }
            }
        }
        else
        {
            errors.Add($"{path}.credentials: required, an object");
        }

        return errors.Count > before ? null : new CredentialSet
        {
            CredentialsId = id!,
            Type = type!,
            Description = description,
            Credentials = credentials,
            CreateDateTime = OptionalLong(o, "createDateTime", path, errors) ?? 0,
            UpdateDateTime = OptionalLong(o, "updateDateTime", path, errors) ?? 0,
        };
    }

    // ---- groups ----

    private static Group? ParseGroup(JsonObject o, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        var before = errors.Count;
        var id = RequiredString(o, "groupId", path, errors);
        if (id is not null && !IsSafeId(id))
        {
            errors.Add($"{path}.groupId: 1-128 printable characters without spaces");
        }

        var tags = ParseTags(o, path, errors);
        var configuration = new JsonObject();
        List<string> ipRanges = [];
        if (o["configuration"] is { } configNode)
        {
            if (configNode is not JsonObject config)
            {
                errors.Add($"{path}.configuration: must be an object of namespaces");
            }
            else
            {
                foreach (var (ns, value) in config)
                {
                    var nsPath = $"{path}.configuration.{ns}";
                    if (!Namespaces.Contains(ns))
                    {
                        errors.Add($"{nsPath}: unknown namespace; known: {string.Join(", ", Namespaces)}");
                        continue;
                    }

                    var map = ToMapForm(value, nsPath, errors);
                    if (map is null)
                    {
                        continue;
                    }

                    if (ns == GatewayIdentityNamespace)
                    {
                        ipRanges = GroupRanges(map, nsPath, errors);
                    }
                    else
                    {
                        ValidateNamespace(ns, map, nsPath, errors, credentials);
                    }

                    configuration[ns] = map;
                }
            }
        }

        return errors.Count > before ? null : new Group
        {
            GroupId = id!,
            Tags = tags,
            Configuration = configuration,
            IpRanges = ipRanges,
            CreatedTime = OptionalLong(o, "createdTime", path, errors) ?? 0,
            LastModifiedTime = OptionalLong(o, "lastModifiedTime", path, errors) ?? 0,
        };
    }

    /// <summary>
    /// Accepts a namespace in the map form (<c>{"key": value}</c>, what GET returns) or SORACOM's write form
    /// (<c>[{"key": …, "value": …}]</c>, what PUT takes), and returns the map form.
    /// </summary>
    public static JsonObject? ToMapForm(JsonNode? value, string path, List<string> errors)
    {
        switch (value)
        {
            case JsonObject obj:
                return (JsonObject)obj.DeepClone();
            case JsonArray array:
                var map = new JsonObject();
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonObject pair || pair["key"] is not JsonValue k || !k.TryGetValue<string>(out var key) || !pair.ContainsKey("value"))
                    {
                        errors.Add($"{path}[{i}]: must be {{\"key\": \"…\", \"value\": …}}");
                        continue;
                    }

                    map[key] = pair["value"]?.DeepClone();
                }

                return map;
            default:
                errors.Add($"{path}: must be an object (or SORACOM's [{{\"key\",\"value\"}}] list)");
                return null;
        }
    }

    /// <summary>Checks one namespace of a group's configuration (map form).</summary>
    public static void ValidateNamespace(string ns, JsonObject map, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        Pipeline.UnifiedEndpointSettings.ValidateNamespace(ns, map, path, errors);
        switch (ns)
        {
            case "SoracomAir":
                ValidateAir(map, path, errors);
                break;
            case "SoracomBeam":
                foreach (var (key, value) in map)
                {
                    ValidateBeamEntry(key, value, Prop(path, key), errors, credentials);
                }

                break;
            case "SoracomFunnel":
                Funnel.FunnelConfigValidator.Validate(map, path, errors, credentials);
                break;
            case "SoracomHarvest":
                Harvest.HarvestConfigValidator.Validate(map, path, errors);
                break;
            default:
                break;
        }
    }

    /// <summary>A group's <c>GatewayIdentity.ipRanges</c>, checked (errors named by path) and normalised (<c>10.8.0.0/24</c>).</summary>
    private static List<string> GroupRanges(JsonObject map, string path, List<string> errors)
    {
        foreach (var (key, _) in map)
        {
            if (key != "ipRanges")
            {
                errors.Add($"{Prop(path, key)}: unknown key; known: ipRanges");
            }
        }

        var ranges = OptionalStringList(map, "ipRanges", path, errors);
        var normalised = new List<string>(ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            if (IPNetwork.TryParse(ranges[i], out var network))
            {
                normalised.Add(network.ToString());
            }
            else
            {
                errors.Add($"{path}.ipRanges[{i}]: '{ranges[i]}' is not a CIDR range such as 10.8.0.0/24");
            }
        }

        return normalised;
    }

    private static void ValidateAir(JsonObject map, string path, List<string> errors)
    {
        var enabled = OptionalBool(map, "binaryParserEnabled", path, errors);
        var format = OptionalString(map, "binaryParserFormat", path, errors);
        if (enabled == true && string.IsNullOrWhiteSpace(format))
        {
            errors.Add($"{path}.binaryParserFormat: required when binaryParserEnabled is true");
        }
        else if (format is not null && !BinaryParser.BinaryFormat.TryCompile(format, out _, out var formatError))
        {
            errors.Add($"{path}.binaryParserFormat: {formatError}");
        }

        OptionalString(map, "userdata", path, errors);
        if (map["metadata"] is { } metadata && metadata is not JsonObject)
        {
            errors.Add($"{path}.metadata: must be an object");
        }
    }

    private static void ValidateBeamEntry(string key, JsonNode? value, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        if (!BeamEntryPointKey.TryParse(key, out var entryPoint, out var keyError))
        {
            errors.Add($"{path}: {keyError}");
            return;
        }

        if (value is not JsonObject entry)
        {
            errors.Add($"{path}: must be an object");
            return;
        }

        foreach (var name in s_beamBooleans)
        {
            OptionalBool(entry, name, path, errors);
        }

        CleanString(entry, "name", path, errors);
        ValidateDestination(entry, entryPoint, path, errors);
        ValidatePsk(entry, path, errors, credentials);
        ValidateCustomHeaders(entry, path, errors);
        ValidateClientCerts(entry, path, errors, credentials);
        ValidateAuthorization(entry, path, errors);
        ValidateMqttCredentials(entry, path, errors);
        ValidatePlatformOptions(entry, entryPoint, path, errors);
        ValidateCaCertificate(entry, path, errors, credentials);
        ValidateMessageSignature(entry, path, errors, credentials);
    }

    /// <summary>
    /// The destination: a URL of a scheme the entry point forwards to, with a host, a port where the protocol has no
    /// default, and no user-info: <c>user:password@</c> would be a credential in plain sight of every log line and
    /// error that names the destination; the entry's <c>authorization</c>, <c>username</c>/<c>password</c> or
    /// credential sets carry credentials instead.
    /// </summary>
    private static void ValidateDestination(JsonObject entry, BeamEntryPointKey entryPoint, string path, List<string> errors)
    {
        var destination = RequiredString(entry, "destination", path, errors);
        if (destination is null)
        {
            return;
        }

        var schemes = entryPoint.DestinationSchemes;
        if (!Uri.TryCreate(destination, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme) || uri.Host.Length == 0)
        {
            // Not echoed: an unparsable URL may still hold a password.
            errors.Add($"{path}.destination: not a {string.Join(" or ", schemes.Select(static s => s + "://"))} URL");
        }
        else if (uri.UserInfo.Length > 0)
        {
            errors.Add($"{path}.destination: may not carry user-info (user:password@); give credentials with authorization, username/password or a credential set");
        }
        else if (entryPoint.Kind is BeamEntryPoint.TcpToTcp or BeamEntryPoint.Mqtt && uri.IsDefaultPort && uri.Port <= 0)
        {
            errors.Add($"{path}.destination: needs a port");
        }
    }

    private static void ValidatePsk(JsonObject entry, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        var psk = entry["psk"];
        if (psk is not null)
        {
            ValidateSecretReference(psk, $"{path}.psk", "psk", errors, credentials);
        }

        if (entry["addSignature"] is JsonValue sig && sig.TryGetValue<bool>(out var addSignature) && addSignature && psk is null)
        {
            errors.Add($"{path}.psk: required when addSignature is true");
        }
    }

    /// <summary><c>customHeaders</c>: each rule's name and value become a header line, so both are checked for what a head allows.</summary>
    private static void ValidateCustomHeaders(JsonObject entry, string path, List<string> errors)
    {
        if (entry["customHeaders"] is not { } headersNode)
        {
            return;
        }

        if (headersNode is not JsonObject headers)
        {
            errors.Add($"{path}.customHeaders: must be an object of header name → {{action, headerKey, headerValue}}");
            return;
        }

        foreach (var (name, headerNode) in headers)
        {
            var hPath = Prop($"{path}.customHeaders", name);
            if (headerNode is not JsonObject header)
            {
                errors.Add($"{hPath}: must be an object {{action, headerKey, headerValue}}");
                continue;
            }

            var action = RequiredString(header, "action", hPath, errors);
            if (action is not null && !s_headerActions.Contains(action))
            {
                errors.Add($"{hPath}.action: '{action}' is not one of append, replace, delete");
            }

            var headerKey = OptionalString(header, "headerKey", hPath, errors) ?? name;
            if (!WireText.IsToken(headerKey))
            {
                errors.Add($"{hPath}.headerKey: '{Printable(headerKey)}' is not a valid header name");
            }

            var headerValue = OptionalString(header, "headerValue", hPath, errors);
            if (action is "append" or "replace" && headerValue is null)
            {
                errors.Add($"{hPath}.headerValue: required for action {action}");
            }
            else if (headerValue is not null && !WireText.IsCleanValue(headerValue))
            {
                errors.Add($"{hPath}.headerValue: may not contain control characters (CR, LF, NUL, …)");
            }
        }
    }

    private static void ValidateClientCerts(JsonObject entry, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        if (entry["clientCerts"] is not { } certs)
        {
            return;
        }

        if (certs is not JsonObject certMap)
        {
            errors.Add($"{path}.clientCerts: must be an object such as {{\"default\": {{\"$credentialsId\": \"…\"}}}}");
            return;
        }

        foreach (var (name, cert) in certMap)
        {
            var certPath = Prop($"{path}.clientCerts", name);
            if (cert is JsonObject inline && !inline.ContainsKey("$credentialsId"))
            {
                if (inline["cert"] is null || inline["key"] is null)
                {
                    errors.Add($"{certPath}: an inline certificate needs cert and key");
                }
                else if (inline["key"] is JsonValue k && k.TryGetValue<string>(out var keyText) && ConfigurationSecrets.IsMask(keyText))
                {
                    errors.Add(MaskError($"{certPath}.key"));
                }
            }
            else
            {
                ValidateSecretReference(cert, certPath, "x509", errors, credentials);
            }
        }
    }

    /// <summary><c>authorization</c> goes as it is into the upstream request's Authorization header.</summary>
    private static void ValidateAuthorization(JsonObject entry, string path, List<string> errors)
    {
        var authorization = OptionalString(entry, "authorization", path, errors);
        if (authorization is null)
        {
            return;
        }

        if (ConfigurationSecrets.IsMask(authorization))
        {
            errors.Add(MaskError($"{path}.authorization"));
        }
        else if (authorization.Length == 0 || !WireText.IsCleanValue(authorization))
        {
            // Never echoed: it is a credential.
            errors.Add($"{path}.authorization: a header value: not empty, no control characters (CR, LF, NUL, …)");
        }
    }

    /// <summary>
    /// <c>username</c>/<c>password</c> (the gateway's own broker credentials) and <c>useClientCredentials</c> (the
    /// device's) exclude each other, so which credentials reach the broker is never a matter of precedence. Both are
    /// MQTT strings in the broker's CONNECT, where control characters have no place (MQTT 3.1.1 §1.5.3 forbids NUL).
    /// </summary>
    private static void ValidateMqttCredentials(JsonObject entry, string path, List<string> errors)
    {
        var user = OptionalString(entry, "username", path, errors);
        var password = OptionalString(entry, "password", path, errors);
        foreach (var (name, value) in new[] { ("username", user), ("password", password) })
        {
            if (value is null)
            {
                continue;
            }

            if (System.Text.Encoding.UTF8.GetByteCount(value) > ushort.MaxValue)
            {
                errors.Add($"{path}.{name}: at most 65,535 bytes (an MQTT string)");
            }
            else if (!WireText.IsCleanValue(value))
            {
                errors.Add($"{path}.{name}: may not contain control characters (CR, LF, NUL, …)");
            }
            else if (name == "password" && ConfigurationSecrets.IsMask(value))
            {
                errors.Add(MaskError($"{path}.password"));
            }
        }

        if (password is not null && user is null)
        {
            errors.Add($"{path}.password: needs a username (MQTT 3.1.1 sends no password without one)");
        }

        if (entry["useClientCredentials"] is JsonValue ucc && ucc.TryGetValue<bool>(out var useClient) && useClient && (user is not null || password is not null))
        {
            errors.Add($"{path}.useClientCredentials: cannot be true together with username/password (choose the device's credentials or the entry's)");
        }
    }

    /// <summary>TCP/UDP→HTTP's platform version and end-of-data bytes, and the upstream timeout.</summary>
    private static void ValidatePlatformOptions(JsonObject entry, BeamEntryPointKey entryPoint, string path, List<string> errors)
    {
        var version = OptionalString(entry, "version", path, errors);
        if (version is not null && entryPoint.Kind is BeamEntryPoint.TcpToHttp or BeamEntryPoint.UdpToHttp && version is not ("201509" or "202411"))
        {
            errors.Add($"{path}.version: '{Printable(version)}' is not a TCP/UDP→HTTP platform version (201509 or 202411)");
        }

        var eod = OptionalString(entry, "eodBytes", path, errors);
        if (eod is not null && (eod.Length % 2 != 0 || eod.Length > 32 || !eod.All(char.IsAsciiHexDigit)))
        {
            errors.Add($"{path}.eodBytes: hex bytes such as 0a or 0d0a (at most 16 bytes), or empty for none");
        }

        if (entry["timeoutSeconds"] is { } timeout && (timeout is not JsonValue tv || !tv.TryGetValue<double>(out var seconds) || seconds is <= 0 or > 300))
        {
            errors.Add($"{path}.timeoutSeconds: a number of seconds from 0 to 300");
        }
    }

    private static void ValidateCaCertificate(JsonObject entry, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        switch (entry["caCertificate"])
        {
            case null:
                break;
            case JsonValue caValue when caValue.TryGetValue<string>(out var caPem):
                if (!IsCertificatePem(caPem))
                {
                    errors.Add($"{path}.caCertificate: not a PEM certificate");
                }

                break;
            case var other:
                ValidateSecretReference(other, $"{path}.caCertificate", "x509", errors, credentials);
                break;
        }
    }

    /// <summary>
    /// The RFC 9421 option: <c>keyId</c> is written into <c>Signature-Input</c> as a structured-field string (printable
    /// ASCII without <c>"</c> or <c>\</c>); <c>key</c> is a secret.
    /// </summary>
    private static void ValidateMessageSignature(JsonObject entry, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        if (entry["messageSignature"] is not { } ms)
        {
            return;
        }

        var msPath = $"{path}.messageSignature";
        if (ms is not JsonObject signature || OptionalString(signature, "keyId", msPath, errors) is not { } keyId || signature["key"] is null)
        {
            errors.Add($"{msPath}: must be {{\"keyId\": \"…\", \"key\": \"…\" or {{\"$credentialsId\": \"…\"}}}}");
            return;
        }

        if (keyId.Length == 0 || keyId.Any(static c => c is < ' ' or > '~' or '"' or '\\'))
        {
            errors.Add($"{msPath}.keyId: printable ASCII without \" or \\ (it is written into Signature-Input)");
        }

        ValidateSecretReference(signature["key"], $"{msPath}.key", "psk", errors, credentials);
    }

    /// <summary>A string that goes into logs or onto the wire as it is (a name): no control characters.</summary>
    private static void CleanString(JsonObject o, string name, string path, List<string> errors)
    {
        if (OptionalString(o, name, path, errors) is { } value && !WireText.IsCleanValue(value))
        {
            errors.Add($"{path}.{name}: may not contain control characters (CR, LF, NUL, …)");
        }
    }

    private static string MaskError(string path) =>
        $"{path}: is the mask the API shows in place of a secret ({ConfigurationSecrets.Mask}), and no secret is stored here to keep; send the secret itself or {{\"$credentialsId\": \"…\"}}";

    /// <summary>A value for an error message, with control characters shown as <c>\uXXXX</c> so one error stays one line.</summary>
    private static string Printable(string value) =>
        WireText.IsCleanValue(value) ? value : string.Concat(value.Select(static c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>A secret given inline (string) or as <c>{"$credentialsId": "…"}</c>, which must exist and be of the expected type.</summary>
    private static void ValidateSecretReference(JsonNode? node, string path, string expectedType, List<string> errors, IReadOnlyDictionary<string, string> credentials)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var inline))
        {
            if (inline.Length == 0)
            {
                errors.Add($"{path}: may not be empty");
            }
            else if (ConfigurationSecrets.IsMask(inline))
            {
                errors.Add(MaskError(path));
            }

            return;
        }

        if (node is not JsonObject o || o["$credentialsId"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var id) || id.Length == 0)
        {
            errors.Add($"{path}: must be a string or {{\"$credentialsId\": \"…\"}}");
            return;
        }

        if (id.Contains("#{", StringComparison.Ordinal))
        {
            // Expanded per subscriber (#{imsi}); checked when a device uses it.
            if (id.Replace("#{imsi}", string.Empty, StringComparison.Ordinal).Contains("#{", StringComparison.Ordinal))
            {
                errors.Add($"{path}.$credentialsId: the only placeholder is #{{imsi}}");
            }

            return;
        }

        if (!credentials.TryGetValue(id, out var type))
        {
            errors.Add($"{path}.$credentialsId: no credential set '{id}'");
        }
        else if (type != expectedType)
        {
            errors.Add($"{path}.$credentialsId: credential set '{id}' is of type {type}, expected {expectedType}");
        }
    }

    // ---- subscribers ----

    private static Subscriber? ParseSubscriber(JsonObject o, string path, List<string> errors, Func<string, bool> groupExists)
    {
        var before = errors.Count;
        var imsi = OptionalId(o, "imsi", path, errors);
        if (imsi is null && o["imsi"] is null)
        {
            errors.Add($"{path}.imsi: required");
        }

        if (imsi is not null && !IsDigits(imsi, 6, 15))
        {
            errors.Add($"{path}.imsi: 6 to 15 digits");
        }

        var imei = OptionalId(o, "imei", path, errors);
        if (imei is not null && !IsDigits(imei, 14, 16))
        {
            errors.Add($"{path}.imei: 14 to 16 digits");
        }

        var msisdn = OptionalId(o, "msisdn", path, errors);
        if (msisdn is not null && !IsDigits(msisdn.TrimStart('+'), 1, 15))
        {
            errors.Add($"{path}.msisdn: up to 15 digits");
        }

        var simId = OptionalId(o, "simId", path, errors) ?? OptionalId(o, "iccid", path, errors);
        if (simId is not null && (simId.Length is 0 or > 32 || !simId.All(char.IsAsciiLetterOrDigit)))
        {
            errors.Add($"{path}.simId: 1 to 32 letters or digits");
        }

        var groupId = OptionalString(o, "groupId", path, errors);
        if (groupId is not null && !groupExists(groupId))
        {
            errors.Add(NoGroupError(path, groupId));
        }

        var status = OptionalString(o, "status", path, errors) ?? "active";
        if (!s_statuses.Contains(status))
        {
            errors.Add($"{path}.status: '{status}' is not one of {string.Join(", ", s_statuses)}");
        }

        string? imeiLock = null;
        switch (o["imeiLock"])
        {
            case null:
                break;
            case JsonObject lockObject when lockObject["imei"] is JsonValue lv && lv.TryGetValue<string>(out var l):
                imeiLock = l;
                break;
            case JsonValue lockValue when lockValue.TryGetValue<string>(out var l):
                imeiLock = l;
                break;
            default:
                errors.Add($"{path}.imeiLock: must be {{\"imei\": \"…\"}}");
                break;
        }

        if (imeiLock is not null && !IsDigits(imeiLock.EndsWith("|ANONYMOUS", StringComparison.Ordinal) ? imeiLock[..^10] : imeiLock, 14, 16))
        {
            errors.Add($"{path}.imeiLock.imei: an IMEI, optionally followed by |ANONYMOUS");
        }

        var ip = OptionalString(o, "ipAddress", path, errors);
        if (ip is not null && !IPAddress.TryParse(ip, out _))
        {
            errors.Add($"{path}.ipAddress: '{ip}' is not an IP address");
        }

        var ranges = OptionalStringList(o, "ipRanges", path, errors);
        for (var i = 0; i < ranges.Count; i++)
        {
            if (!IPNetwork.TryParse(ranges[i], out _))
            {
                errors.Add($"{path}.ipRanges[{i}]: '{ranges[i]}' is not a CIDR range such as 10.1.2.0/24");
            }
        }

        var thumbprints = OptionalStringList(o, "certificateThumbprints", path, errors).Select(static t => t.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant()).ToList();
        for (var i = 0; i < thumbprints.Count; i++)
        {
            if (thumbprints[i].Length != 64 || !thumbprints[i].All(char.IsAsciiHexDigit))
            {
                errors.Add($"{path}.certificateThumbprints[{i}]: a SHA-256 thumbprint is 64 hex digits");
            }
        }

        var subjects = OptionalStringList(o, "certificateSubjects", path, errors);
        for (var i = 0; i < subjects.Count; i++)
        {
            if (!TryNormalizeSubject(subjects[i], out var normalized))
            {
                errors.Add($"{path}.certificateSubjects[{i}]: '{subjects[i]}' is not a distinguished name such as CN=meter-7, O=Example");
            }
            else
            {
                subjects[i] = normalized;
            }
        }

        var lora = OptionalString(o, "loraDeviceId", path, errors);
        if (lora is not null && (lora.Length != 16 || !lora.All(char.IsAsciiHexDigit)))
        {
            errors.Add($"{path}.loraDeviceId: a DevEUI is 16 hex digits");
        }

        var sigfox = OptionalString(o, "sigfoxDeviceId", path, errors);
        if (sigfox is not null && (sigfox.Length is 0 or > 16 || !sigfox.All(char.IsAsciiHexDigit)))
        {
            errors.Add($"{path}.sigfoxDeviceId: hex digits");
        }

        var tags = ParseTags(o, path, errors);
        return errors.Count > before ? null : new Subscriber
        {
            Imsi = imsi!,
            Imei = imei,
            Msisdn = msisdn,
            SimId = simId,
            GroupId = groupId,
            Status = status,
            ImeiLock = imeiLock,
            IpAddress = ip is null ? null : IPAddress.Parse(ip).ToString(),
            // Most SIMs have none of these: one shared empty list instead of three per SIM (a million SIMs).
            IpRanges = ranges.Count == 0 ? [] : ranges,
            CertificateThumbprints = thumbprints.Count == 0 ? [] : thumbprints,
            CertificateSubjects = subjects.Count == 0 ? [] : subjects,
            LoraDeviceId = lora?.ToLowerInvariant(),
            SigfoxDeviceId = sigfox?.ToUpperInvariant(),
            Tags = SubscriberTags.Of(tags),
        };
    }

    /// <summary>A range may belong to one group only: otherwise which group's settings apply would be a guess.</summary>
    internal static void CheckUniqueGroupRanges(List<Group> groups, List<string> errors)
    {
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in groups)
        {
            foreach (var range in g.IpRanges)
            {
                if (!owner.TryAdd(range, g.GroupId))
                {
                    errors.Add($"groups[{g.GroupId}].configuration.{GatewayIdentityNamespace}.ipRanges: '{range}' already belongs to group {owner[range]}");
                }
            }
        }
    }

    internal static void CheckUniqueAddresses(List<Subscriber> subscribers, List<string> errors)
    {
        void Unique(Func<Subscriber, IEnumerable<string>> values, string field)
        {
            var owner = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var s in subscribers)
            {
                foreach (var value in values(s))
                {
                    if (!owner.TryAdd(value, s.Imsi))
                    {
                        errors.Add(TakenError(s.Imsi, field, value, owner[value]));
                    }
                }
            }
        }

        Unique(static s => s.IpAddress is null ? [] : [s.IpAddress], "ipAddress");
        Unique(static s => s.IpRanges.Select(static r => IPNetwork.Parse(r).ToString()), "ipRanges");
        Unique(static s => s.CertificateThumbprints, "certificateThumbprints");
        Unique(static s => s.CertificateSubjects, "certificateSubjects");
        Unique(static s => s.LoraDeviceId is null ? [] : [s.LoraDeviceId], "loraDeviceId");
        Unique(static s => s.SigfoxDeviceId is null ? [] : [s.SigfoxDeviceId], "sigfoxDeviceId");
    }

    // ---- helpers ----

    private static Dictionary<string, string> ParseTags(JsonObject o, string path, List<string> errors)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o["tags"] is null)
        {
            return tags;
        }

        if (o["tags"] is not JsonObject t)
        {
            errors.Add($"{path}.tags: must be an object of strings");
            return tags;
        }

        foreach (var (name, value) in t)
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var s))
            {
                tags[name] = s;
            }
            else
            {
                errors.Add($"{Prop($"{path}.tags", name)}: must be a string");
            }
        }

        return tags;
    }

    private static string? RequiredString(JsonObject o, string name, string path, List<string> errors)
    {
        var value = OptionalString(o, name, path, errors);

        // Absent or null: OptionalString has said nothing (for any other non-string it has said "must be a string").
        // A null once passed as present, and a credential set with a null ID threw out of Parse.
        if (value is null && o[name] is null)
        {
            errors.Add($"{path}.{name}: required");
        }

        return value;
    }

    private static string? OptionalString(JsonObject o, string name, string path, List<string> errors)
    {
        var node = o[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        errors.Add($"{path}.{name}: must be a string");
        return null;
    }

    /// <summary>
    /// A digit identifier (IMSI, IMEI, MSISDN, ICCID) given as a string, or as a whole number (what YAML makes of a
    /// bare IMSI, and what hand-written JSON sometimes holds).
    /// </summary>
    private static string? OptionalId(JsonObject o, string name, string path, List<string> errors)
    {
        if (o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<long>(out var l) && l >= 0)
            {
                return l.ToString(CultureInfo.InvariantCulture);
            }

            errors.Add($"{path}.{name}: must be a string of digits");
            return null;
        }

        return OptionalString(o, name, path, errors);
    }

    private static List<string> OptionalStringList(JsonObject o, string name, string path, List<string> errors)
    {
        var list = new List<string>();
        if (o[name] is null)
        {
            return list;
        }

        if (o[name] is not JsonArray array)
        {
            errors.Add($"{path}.{name}: must be an array of strings");
            return list;
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                list.Add(v.GetValue<string>());
            }
            else
            {
                errors.Add($"{path}.{name}[{i}]: must be a string");
            }
        }

        return list;
    }

    private static bool? OptionalBool(JsonObject o, string name, string path, List<string> errors)
    {
        var node = o[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        errors.Add($"{path}.{name}: must be true or false");
        return null;
    }

    private static long? OptionalLong(JsonObject o, string name, string path, List<string> errors)
    {
        var node = o[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l))
        {
            return l;
        }

        errors.Add($"{path}.{name}: must be a whole number");
        return null;
    }

    /// <summary><c>parent.name</c> for plain names, <c>parent["…"]</c> for keys such as URLs.</summary>
    public static string Prop(string parent, string name) =>
        name.Length > 0 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$')
            ? $"{parent}.{name}"
            : $"{parent}[\"{name.Replace("\"", "\\\"", StringComparison.Ordinal)}\"]";

    /// <summary>A subject in the one spelling .NET gives a certificate's <c>Subject</c>, so lookups compare like with like.</summary>
    internal static bool TryNormalizeSubject(string subject, out string normalized)
    {
        try
        {
            // Through the encoded form and back: the text .NET gives a certificate's Subject, whatever spacing the
            // registry used, and the same text again when the stored value is read back.
            var encoded = new System.Security.Cryptography.X509Certificates.X500DistinguishedName(subject).RawData;
            normalized = new System.Security.Cryptography.X509Certificates.X500DistinguishedName(encoded).Name;
            return normalized.Length > 0;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            normalized = string.Empty;
            return false;
        }
    }

    private static bool IsCertificatePem(string pem)
    {
        try
        {
            var collection = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            collection.ImportFromPem(pem);
            return collection.Count > 0;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private static bool IsDigits(string value, int min, int max) =>
        value.Length >= min && value.Length <= max && value.All(char.IsAsciiDigit);

    private static bool IsSafeId(string id) =>
        id.Length is > 0 and <= 128 && id.All(static c => c > ' ' && c < 0x7f && c is not ('/' or '?' or '#' or '%'));
}
