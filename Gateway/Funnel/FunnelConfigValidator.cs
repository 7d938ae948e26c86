using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Adapters;
using Gateway.Registry;

namespace Gateway.Funnel;

/// <summary>
/// Checks a group's <c>SoracomFunnel</c> namespace (map form) when the registry loads or changes, every problem with
/// its path, e.g. <c>groups[g1].configuration.SoracomFunnel.destination.provider: 'x' is not a known destination;
/// known: webhook/webhook</c>. The destination's own keys are checked by its adapter factory, the credential set's
/// type against the factory's <see cref="IFunnelAdapterFactory.CredentialTypes"/>. <c>enabled</c> does not require a
/// destination: SORACOM's API sets the keys one by one, and Funnel simply stays idle until one is given.
/// </summary>
internal static class FunnelConfigValidator
{
    public const string Placeholder = "#{imsi}";

    private static readonly string[] s_keys = ["enabled", "destination", "credentialsId", "contentType", "addSimId", Spool.DeliveryMode.Key];
    private static readonly string[] s_contentTypes = ["json", "text", "binary", "unspecified", "application/x-soracom-bf-v1"];

    /// <summary>Checks with the adapters this build knows (<see cref="FunnelAdapters.Known"/>).</summary>
    public static void Validate(JsonObject map, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials) =>
        Validate(map, path, errors, credentials, FunnelAdapters.Known);

    public static void Validate(JsonObject map, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials, IReadOnlyList<IFunnelAdapterFactory> factories)
    {
        foreach (var (key, _) in map)
        {
            if (!s_keys.Contains(key))
            {
                errors.Add($"{RegistryParser.Prop(path, key)}: unknown key; known: {string.Join(", ", s_keys)}");
            }
        }

        Bool(map, "enabled", path, errors);
        Bool(map, "addSimId", path, errors);
        Spool.DeliveryMode.Validate(map, path, errors);
        var contentType = String(map, "contentType", path, errors);
        if (contentType is { Length: > 0 } && !s_contentTypes.Contains(contentType))
        {
            errors.Add($"{path}.contentType: '{contentType}' is not one of {string.Join(", ", s_contentTypes)}");
        }

        var factory = map["destination"] is { } destination ? ValidateDestination(destination, $"{path}.destination", errors, factories) : null;
        var credentialsId = String(map, "credentialsId", path, errors);
        if (credentialsId is not null)
        {
            ValidateCredentials(credentialsId, $"{path}.credentialsId", errors, credentials, factory);
        }
    }

    /// <summary>The destination's shape, then its factory's own checks. Returns the factory, or null when there is none.</summary>
    private static IFunnelAdapterFactory? ValidateDestination(JsonNode node, string path, List<string> errors, IReadOnlyList<IFunnelAdapterFactory> factories)
    {
        if (node is not JsonObject dest)
        {
            errors.Add($"{path}: must be an object {{provider, service, resourceUrl}}");
            return null;
        }

        var before = errors.Count;
        var provider = String(dest, "provider", path, errors, required: true);
        var service = String(dest, "service", path, errors, required: true);
        var url = String(dest, "resourceUrl", path, errors, required: true);
        Bool(dest, "payloadsOnly", path, errors);
        if (url is not null && !OnlyImsiPlaceholder(url))
        {
            errors.Add($"{path}.resourceUrl: the only placeholder is {Placeholder}");
        }

        if (provider is null || service is null || url is null || errors.Count > before)
        {
            return null;
        }

        var factory = FunnelAdapters.Find(factories, provider, service);
        if (factory is null)
        {
            if (!FunnelAdapters.SoracomOnly.Contains($"{provider}/{service}"))
            {
                var known = FunnelAdapters.KnownList(factories);
                errors.Add(factories.Any(f => f.Provider == provider)
                    ? $"{path}.service: '{service}' is not a known service of provider '{provider}'; known: {known}"
                    : $"{path}.provider: '{provider}' is not a known destination; known: {known}");
            }

            return null;
        }

        factory.Validate(new FunnelDestination { Provider = provider, Service = service, ResourceUrl = url, Settings = dest }, path, errors);
        return factory;
    }

    private static void ValidateCredentials(string id, string path, List<string> errors, IReadOnlyDictionary<string, string> credentials, IFunnelAdapterFactory? factory)
    {
        if (id.Contains("#{", StringComparison.Ordinal))
        {
            // Resolved per subscriber (e.g. "kafka-#{imsi}"); its existence and type are checked when a device uses it.
            if (!OnlyImsiPlaceholder(id))
            {
                errors.Add($"{path}: the only placeholder is {Placeholder}");
            }

            return;
        }

        if (!credentials.TryGetValue(id, out var type))
        {
            errors.Add($"{path}: no credential set '{id}'");
        }
        else if (factory is not null && factory.CredentialTypes.Count == 0)
        {
            errors.Add($"{path}: {factory.Provider}/{factory.Service} takes no credentials");
        }
        else if (factory is not null && !factory.CredentialTypes.Contains(type))
        {
            errors.Add($"{path}: credential set '{id}' is of type {type}; {factory.Provider}/{factory.Service} takes {string.Join(" or ", factory.CredentialTypes)}");
        }
    }

    /// <summary>True when every <c>#{…}</c> in <paramref name="value"/> is <c>#{imsi}</c>.</summary>
    public static bool OnlyImsiPlaceholder(string value) =>
        !value.Replace(Placeholder, string.Empty, StringComparison.Ordinal).Contains("#{", StringComparison.Ordinal);

    private static void Bool(JsonObject o, string name, string path, List<string> errors)
    {
        if (o[name] is { } node && (node is not JsonValue v || v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)))
        {
            errors.Add($"{path}.{name}: must be true or false");
        }
    }

    private static string? String(JsonObject o, string name, string path, List<string> errors, bool required = false)
    {
        if (o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }

        if (o[name] is not null)
        {
            errors.Add($"{path}.{name}: must be a string");
        }
        else if (required)
        {
            errors.Add($"{path}.{name}: required");
        }

        return null;
    }
}
