namespace Gateway.Radius;

/// <summary>RADIUS accounting listener settings (section <c>Gateway:Radius</c> by convention), validated by <see cref="RadiusOptionsValidator"/>.</summary>
internal sealed class RadiusOptions
{
    public const string SectionName = "Gateway:Radius";

    /// <summary>Whether the listener runs at all. Default off: accounting is only useful with a NAS configured to send it.</summary>
    public bool Enabled { get; set; }

    /// <summary>The UDP endpoint to listen on, <c>address:port</c> (<c>[::1]:1813</c> for IPv6). Port 0 picks a free port. Default <c>127.0.0.1:1813</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:1813";

    /// <summary>The clients allowed to send accounting; datagrams from any other address are dropped.</summary>
    public IList<RadiusClientOptions> Clients { get; } = [];

    /// <summary>How long an answered request is remembered so that a retransmission gets the same answer without being recorded twice.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Requests waiting for the sink; past this, new requests are dropped (unanswered, so the NAS retries later).
    /// 8,192 is 1.6 s of an attach storm of 5,000 a second: with 1,024 (0.2 s), the storm's first seconds, while the
    /// process was still compiling its code, and any moment the machine did not schedule it, were refused, though
    /// an answer a second late is better than the NAS's retransmission seconds later. A request takes a few hundred
    /// bytes while it waits.
    /// </summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// How many requests are handed to the sink at once. The registry writes bindings and auto-registrations in
    /// batches of whatever is waiting, so this is also the largest batch: an attach storm of 5,000 a second with
    /// batches taking tens of milliseconds needs a few hundred in flight (with 4, about 400 a second were answered).
    /// </summary>
    public int Concurrency { get; set; } = 256;

    /// <summary>How long the sink may take before the request counts as not recorded (and is left unanswered).</summary>
    public TimeSpan SinkTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
