namespace EventHubsPeer;

/// <summary>One event the peer accepted, as it arrived (one per Data section of a batch).</summary>
public sealed class ReceivedEvent
{
    /// <summary>The hub the sending link was attached to.</summary>
    public required string Hub { get; init; }

    /// <summary>The partition the link named (<c>hub/Partitions/N</c>), or null when sent to the hub.</summary>
    public string? PartitionId { get; init; }

    /// <summary>The <c>x-opt-partition-key</c> message annotation (the batch's or the event's own), or null.</summary>
    public string? PartitionKey { get; init; }

    /// <summary>The AMQP <c>message-id</c> property as a string, or null.</summary>
    public string? MessageId { get; init; }

    /// <summary>The AMQP <c>content-type</c> property, or null.</summary>
    public string? ContentType { get; init; }

    /// <summary>The application properties, by name (values as decoded: strings, numbers, …).</summary>
    public required IReadOnlyDictionary<string, object?> Properties { get; init; }

    /// <summary>The Data sections of the event, concatenated.</summary>
    public required byte[] Body { get; init; }
}
