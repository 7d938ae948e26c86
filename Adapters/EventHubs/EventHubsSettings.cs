using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Adapters.EventHubs;

/// <summary>An Event Hubs destination's settings, checked once when the configuration is loaded.</summary>
internal sealed class EventHubsSettings
{
    public required EventHubsResourceUrl Url { get; init; }

    /// <summary>
    /// True (the default): each event's partition key is the IMSI, so one device's events stay in order on one
    /// partition. False (<c>"partitionKey": false</c>): no key, the service spreads events over partitions and a batch
    /// can carry many devices' events.
    /// </summary>
    public bool PartitionKey { get; init; } = true;

    /// <summary>Reads and checks the destination, adding one error per problem under <paramref name="path"/>; null when any.</summary>
    public static EventHubsSettings? Parse(FunnelDestination destination, string path, List<string> errors)
    {
        var before = errors.Count;
        var url = EventHubsResourceUrl.Parse(destination.ResourceUrl, $"{path}.resourceUrl", errors);
        var partitionKey = true;
        if (destination.Settings["partitionKey"] is { } node)
        {
            if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                partitionKey = node.GetValue<bool>();
            else
                errors.Add($"{path}.partitionKey: must be true (the IMSI, the default) or false (none)");
        }
        if (url is null || errors.Count != before)
            return null;
        return new EventHubsSettings { Url = url, PartitionKey = partitionKey };
    }
}
