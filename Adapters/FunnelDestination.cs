using System.Text.Json.Nodes;

namespace Gateway.Adapters;

/// <summary>
/// A group's <c>SoracomFunnel.destination</c>: <c>provider</c>, <c>service</c>, <c>resourceUrl</c> (which may hold
/// <c>#{imsi}</c>) and the adapter's extra keys (<c>payloadsOnly</c>, <c>randomizePartitionKey</c>, …) as given.
/// </summary>
public sealed class FunnelDestination
{
    /// <summary>The provider, e.g. <c>aws</c>, <c>azure</c>, <c>google</c>, <c>kafka</c>, <c>webhook</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>The service, e.g. <c>kinesis</c>, <c>eventhubs</c>, <c>kafka</c>, <c>webhook</c>.</summary>
    public required string Service { get; init; }

    /// <summary>Where to deliver, as configured (before <c>#{imsi}</c> is replaced).</summary>
    public required string ResourceUrl { get; init; }

    /// <summary>The whole destination object, for the adapter's own keys. Never modified.</summary>
    public required JsonObject Settings { get; init; }

    /// <summary>True when <see cref="ResourceUrl"/> holds <c>#{imsi}</c>, so each message names its own target.</summary>
    public bool IsPerSubscriber => ResourceUrl.Contains("#{imsi}", StringComparison.Ordinal);

    /// <summary>A boolean extra key, false when absent or not a boolean.</summary>
    public bool Flag(string name) => Settings[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}
