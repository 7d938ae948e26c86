namespace Gateway.Adapters.PubSub;

/// <summary>
/// The messages of one publish request: <c>Batch[Indices[Start]]</c> … <c>Batch[Indices[End - 1]]</c>, all to one
/// topic, within Pub/Sub's count and size limits.
/// </summary>
internal readonly record struct PubSubChunk(IReadOnlyList<OutgoingMessage> Batch, List<int> Indices, int Start, int End)
{
    public int Count => End - Start;

    public OutgoingMessage this[int i] => Batch[Indices[Start + i]];
}
