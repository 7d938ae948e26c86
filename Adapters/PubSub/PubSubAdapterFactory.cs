using Microsoft.Extensions.Logging;

namespace Gateway.Adapters.PubSub;

/// <summary>
/// The Google Pub/Sub destination, <c>{"provider": "google", "service": "pubsub", "resourceUrl": "projects/P/topics/T"}</c>
/// (or a bare topic ID, the project then from the service account), with <c>#{imsi}</c> allowed in the topic ID;
/// optional keys <c>endpoint</c>, <c>orderingKey</c> and <c>transport</c> (<c>grpc</c>, the default, or <c>rest</c>); a <c>google-service-account-json</c> credential set for the
/// cloud. Honours <c>PUBSUB_EMULATOR_HOST</c>. See <c>Adapters/PubSub/README.md</c>.
/// </summary>
public sealed class PubSubAdapterFactory : IFunnelAdapterFactory
{
    /// <summary>Google's convention for pointing clients at the emulator: <c>host:port</c>, plain HTTP, no credentials.</summary>
    public const string EmulatorHostVariable = "PUBSUB_EMULATOR_HOST";

    private static readonly Uri s_cloud = new("https://pubsub.googleapis.com/");

    private readonly Func<string, string?> _environment;

    /// <summary>A factory that reads <c>PUBSUB_EMULATOR_HOST</c> from the process's environment.</summary>
    public PubSubAdapterFactory()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>A factory that reads the environment through <paramref name="environment"/> (tests).</summary>
    internal PubSubAdapterFactory(Func<string, string?> environment) => _environment = environment;

    /// <summary>For tests: adjusts the gRPC channel's handler (e.g. to trust a test certificate).</summary>
    internal Action<System.Net.Http.SocketsHttpHandler>? ConfigureGrpcHandler { get; init; }

    /// <inheritdoc/>
    public string Provider => "google";

    /// <inheritdoc/>
    public string Service => "pubsub";

    /// <inheritdoc/>
    public IReadOnlyList<string> CredentialTypes { get; } = [GoogleServiceAccountJson.CredentialType];

    /// <inheritdoc/>
    public void Validate(FunnelDestination destination, string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(errors);
        PubSubSettings.Parse(destination, path, errors);
    }

    /// <inheritdoc/>
    public IFunnelAdapter Create(FunnelDestination destination, AdapterCredentials? credentials, AdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.LoggerFactory.CreateLogger<PubSubAdapterFactory>();
        var name = destination.ResourceUrl;
        var errors = new List<string>();
        var settings = PubSubSettings.Parse(destination, "destination", errors);
        if (settings is null)
            return Misconfigured(logger, name, 400, string.Join("; ", errors));

        ServiceAccountKey? key = null;
        if (credentials is not null)
        {
            var id = $"credential set {credentials.CredentialsId}";
            if (credentials.Type != GoogleServiceAccountJson.CredentialType)
                return Misconfigured(logger, name, 401, $"{id}: type {credentials.Type} is not {GoogleServiceAccountJson.CredentialType}");
            if (GoogleServiceAccountJson.Read(credentials.Field("credentials"), out key) is { } problem)
                return Misconfigured(logger, name, 401, $"{id}: credentials {problem}");
        }

        var endpoint = settings.Endpoint ?? EmulatorHost() ?? s_cloud;
        var project = settings.Project ?? key?.ProjectId;
        if (project is null || PubSubTopic.ProjectError(project) is not null)
            return Misconfigured(logger, name, 400, "the resourceUrl is a bare topic ID and the credential set's service account names no usable project_id; use projects/PROJECT/topics/TOPIC");

        PubSubTokens? tokens = null;
        if (endpoint.Scheme == Uri.UriSchemeHttps)
        {
            if (key is null)
                return Misconfigured(logger, name, 401, $"{endpoint.Host} needs a {GoogleServiceAccountJson.CredentialType} credential set (only a plain-HTTP emulator endpoint works without one)");
            tokens = PubSubTokens.Create(key, context.Time, logger, name, out var problem);
            if (tokens is null)
                return Misconfigured(logger, name, 401, $"credential set {credentials!.CredentialsId}: {problem}");
        }

        // A plain-HTTP endpoint is an emulator or a local peer: no token is ever sent over it, even with a credential set.
        PubSubLog.Endpoint(logger, name, endpoint, settings.UseRest ? "REST" : "gRPC", tokens is null ? "without credentials" : $"as {key!.ClientEmail}");
        IPubSubPublisher publisher = settings.UseRest
            ? new PubSubRestPublisher(endpoint, settings.OrderingByImsi, context, name)
            : new PubSubGrpcPublisher(endpoint, settings.OrderingByImsi, ConfigureGrpcHandler, context, name);
        return new PubSubAdapter(settings, project, tokens, publisher);
    }

    /// <summary><c>PUBSUB_EMULATOR_HOST</c> as an endpoint, or null when unset or not <c>host:port</c>.</summary>
    private Uri? EmulatorHost()
    {
        var value = _environment(EmulatorHostVariable);
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        return Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
            ? uri
            : null;
    }

    private static MisconfiguredAdapter Misconfigured(ILogger logger, string name, int status, string problem)
    {
        PubSubLog.Misconfigured(logger, name, problem);
        return new MisconfiguredAdapter(DeliveryResult.Permanent(status, "google/pubsub: " + problem), PubSubAdapter.MaxMessagesPerRequest, PubSubGrpcPublisher.MaxBodyBytes);
    }
}
