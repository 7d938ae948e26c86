using System.Net;
using Gateway.Registry;

namespace Gateway.Pipeline;

/// <summary>
/// One message from a device, as every message-style entry point hands it to <see cref="MessagePipeline"/>: who sent
/// it (already identified and admitted), how, the bytes it sent (after any Binary Format v1 framing), the group's
/// binary-parser JSON when the parser is on, and when it arrived. Services read it; none changes it.
/// </summary>
internal sealed class DeviceMessage
{
    /// <summary>The resolved device: subscriber, group and IMEI. Always known (refusals never reach the pipeline).</summary>
    public required DeviceIdentity Device { get; init; }

    public required SourceProtocol Protocol { get; init; }

    /// <summary>The entry point's metric and log name (<c>udp</c>, <c>tcp</c>, <c>lorawan</c>, <c>funnel-http</c>, …).</summary>
    public required string EntryPoint { get; init; }

    /// <summary>The device's address, where the transport has one (not for LPWA uplinks).</summary>
    public IPEndPoint? Source { get; init; }

    /// <summary>
    /// The bytes as the device sent them (one datagram, one TCP read or frame, one HTTP body, one PUBLISH payload).
    /// For LPWA uplinks: the uplink's own payload bytes. It may be the entry point's pooled buffer, valid until the
    /// pipeline's delivery returns: a service that keeps the bytes longer (a queue) copies them.
    /// </summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>
    /// JSON the message carries instead of raw bytes, or null: the group's binary parser output (a JSON object with
    /// <c>binaryParserEnabled: true</c>) or, for LPWA uplinks, the uplink object SORACOM forwards (with the parser's
    /// fields merged in when it is on).
    /// </summary>
    public ReadOnlyMemory<byte>? Json { get; init; }

    /// <summary>Unix milliseconds when the gateway received the message (the envelope's <c>timestamp</c>).</summary>
    public required long ReceivedAtMs { get; init; }

    /// <summary>HTTP: the request's Content-Type, as sent; null elsewhere.</summary>
    public string? ContentType { get; init; }

    /// <summary>
    /// HTTP to <c>harvest.</c>: the device's <c>X-Soracom-Timestamp</c> (Unix ms), the time Harvest stores the message
    /// under instead of <see cref="ReceivedAtMs"/>; null elsewhere (SORACOM ignores it on the unified endpoint).
    /// </summary>
    public long? DeviceTimestampMs { get; init; }

    /// <summary>MQTT: the PUBLISH topic; null elsewhere.</summary>
    public string? Topic { get; init; }

    /// <summary>MQTT: the PUBLISH QoS (0, 1, 2); null elsewhere.</summary>
    public int? Qos { get; init; }

    /// <summary>
    /// Which services this entry point addresses: null for all the group enables (the unified endpoint), or one
    /// service's <see cref="IDeviceService.Name"/> (a device that spoke to <c>funnel.</c> gets Funnel only).
    /// </summary>
    public string? OnlyService { get; init; }

    /// <summary>The subscriber of an identified device (never null once admitted).</summary>
    public Subscriber Subscriber => Device.Subscriber!;

    /// <summary>
    /// The resource the message belongs to, for stored data and the error log: LPWA devices under their own resource
    /// type, as SORACOM keeps them (<c>LoraDevice</c>, <c>SigfoxDevice</c>), everything else under <c>Subscriber</c>/IMSI.
    /// </summary>
    public (string Type, string Id) Resource => Protocol switch
    {
        SourceProtocol.Lora when Subscriber.LoraDeviceId is { } lora => ("LoraDevice", lora),
        SourceProtocol.Sigfox when Subscriber.SigfoxDeviceId is { } sigfox => ("SigfoxDevice", sigfox),
        _ => ("Subscriber", Subscriber.Imsi),
    };
}
