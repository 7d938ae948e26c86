using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.EventHubs;

/// <summary>
/// The Azure Event Hubs destination, <c>{"provider": "azure", "service": "eventhubs", "resourceUrl":
/// "https://&lt;namespace&gt;.servicebus.windows.net/&lt;hub&gt;/messages"}</c> with <c>#{imsi}</c> allowed in the hub, an
/// optional <c>partitionKey</c> (true: the IMSI, the default; false: none), and an <c>azure-credentials</c> set
/// {policyName, key}. See <c>Adapters/EventHubs/README.md</c>.
/// </summary>
public sealed class EventHubsAdapterFactory : IFunnelAdapterFactory
{
    /// <summary>The credential type: a shared access policy's name and key.</summary>
    public const string CredentialType = "azure-credentials";

    /// <inheritdoc/>
    public string Provider => "azure";

    /// <inheritdoc/>
    public string Service => "eventhubs";

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes { get; } = [CredentialType];

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        EventHubsSettings.Parse(destination, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.LoggerFactory.CreateLogger<EventHubsAdapterFactory>();
        var errors = new List<string>();
        var settings = EventHubsSettings.Parse(destination, "destination", errors);
        if (settings is null)
            return Misconfigured(logger, "(invalid resourceUrl)", 400, string.Join("; ", errors));
        if (credentials is null || credentials.Type != CredentialType)
            return Misconfigured(logger, destination.ResourceUrl, 401, "an azure-credentials set (policyName, key) is required");
        var policy = credentials.Field("policyName");
        var key = credentials.Field("key");
        if (string.IsNullOrEmpty(policy) || string.IsNullOrEmpty(key))
            return Misconfigured(logger, destination.ResourceUrl, 401, $"credential set {credentials.CredentialsId} lacks policyName or key");
        if (settings.Url.IsLocal && (policy.Contains(';', StringComparison.Ordinal) || key.Contains(';', StringComparison.Ordinal)))
            return Misconfigured(logger, destination.ResourceUrl, 401, $"credential set {credentials.CredentialsId}: policyName and key may not hold ';' for a local peer");
        return new EventHubsAdapter(settings, policy, key, credentials.CredentialsId, context);
    }

    private static MisconfiguredAdapter Misconfigured(ILogger logger, string name, int status, string problem)
    {
        EventHubsLog.Misconfigured(logger, name, problem);
        return new MisconfiguredAdapter(DeliveryResult.Permanent(status, "eventhubs: " + problem), EventHubsAdapter.BatchLimit, EventHubsAdapter.MaxBodyBytes);
    }
}
