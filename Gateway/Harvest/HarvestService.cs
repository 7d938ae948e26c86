using System.Text.Json;
using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Spool;
using Microsoft.Extensions.Options;

namespace Gateway.Harvest;

/// <summary>
/// SORACOM Harvest Data as a pipeline service: stores each message of a group with <c>SoracomHarvest.enabled</c> in
/// the device's time series (<c>Subscriber</c>/IMSI, or <c>LoraDevice</c>/<c>SigfoxDevice</c> for LPWA uplinks) and
/// answers once the row is committed: HTTP <c>201</c> with an empty body, TCP/UDP the text <c>201</c> (spec §4.1, Q7).
/// The time is the device's <c>X-Soracom-Timestamp</c> (HTTP to <c>harvest.</c> only), else the group's
/// <c>customTimestamp</c> from the JSON, else the receive time. A group with <c>batch</c> stores each element of the
/// message's array as its own entry, all in one transaction (<see cref="HarvestBatch"/>). Refusals (too large, invalid
/// JSON or timestamp, queue full, store down) go to the error log under the device's resource, in Funnel's reply forms.
/// </summary>
internal sealed class HarvestService : IDeviceService
{
    public const string ServiceName = "harvest";
    public const string LogService = "Harvest";

    private static readonly ServiceResult s_okText = new() { Service = ServiceName, Status = 201, NativeText = "201"u8.ToArray() };
    private static readonly ServiceResult s_okHttp = new() { Service = ServiceName, Status = 201 };
    private readonly HarvestWriter _writer;
    private readonly ErrorLog _errorLog;
    private readonly int _maxBytes;
    private readonly DurableSpool? _spool;
    private readonly ReceiveTimes _receiveTimes = new();

    /// <param name="spool">Where groups with <c>delivery: "queued"</c> put their entries; without one, they are written synchronously.</param>
    public HarvestService(HarvestWriter writer, ErrorLog errorLog, IOptions<HarvestOptions> options, [FromKeyedServices(ServiceName)] DurableSpool? spool = null)
    {
        _writer = writer;
        _errorLog = errorLog;
        _maxBytes = options.Value.MaxEntryBytes;
        _spool = spool;
    }

    public string Name => ServiceName;

    /// <summary>An anonymous device (a group's address range, no SIM) has no resource to store under.</summary>
    public bool Accepts(DeviceIdentity device, SourceProtocol protocol) =>
        HarvestGroupConfig.For(device.Group).Enabled && device.Subscriber is { IsAnonymous: false };

    public async ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        var config = HarvestGroupConfig.For(message.Device.Group);
        if (!config.Enabled || message.Subscriber.IsAnonymous)
        {
            return Fail(message, 400, "Harvest is not enabled for this device's group");
        }

        // A batch message carries up to MaxItems entries of up to MaxEntryBytes each; each element is checked on its own.
        var maxBytes = config.Batch is null ? _maxBytes : _maxBytes * HarvestBatch.MaxItems;
        if (message.Payload.Length > maxBytes)
        {
            return Fail(message, 413, $"Payload too large: Harvest stores at most {maxBytes} bytes per {(config.Batch is null ? "message" : "batch message")}");
        }

        if (HarvestContent.For(message, out var problem) is not { } content)
        {
            return Fail(message, 400, problem!);
        }

        var status = 400;
        HarvestEntry[]? entries = config.Batch is { } batch
            ? Split(message, config, batch, content, out status, out problem)
            : Single(message, config, content, out problem) is { } entry ? [entry] : null;
        return entries is null ? Fail(message, status, problem!) : await StoreAsync(message, config, entries, cancellationToken);
    }

    /// <summary>A batch message as its elements' entries, or null with the status and reason to refuse all of them.</summary>
    private HarvestEntry[]? Split(DeviceMessage message, HarvestGroupConfig config, HarvestBatch batch, (string ContentType, string Content) content, out int status, out string? problem)
    {
        status = 400;
        if (content.ContentType != HarvestContent.Json)
        {
            problem = "batch: the message is not JSON (a batch write is a JSON array of entries)";
            return null;
        }

        using var doc = JsonDocument.Parse(content.Content);
        var (type, id) = message.Resource;
        var template = new HarvestEntry(type, id, 0, HarvestContent.Json, string.Empty, config.Category);
        return batch.Split(doc.RootElement, config.CustomTimestamp!, template, _maxBytes, out status, out problem);
    }

    /// <summary>The message as one entry, at the device's timestamp, the group's custom one, or the receive time.</summary>
    private HarvestEntry? Single(DeviceMessage message, HarvestGroupConfig config, (string ContentType, string Content) content, out string? problem)
    {
        problem = null;
        var time = message.DeviceTimestampMs;
        if (time is null && config.CustomTimestamp is { } custom && content.ContentType == HarvestContent.Json)
        {
            using var doc = JsonDocument.Parse(content.Content);
            time = custom.Read(doc.RootElement, out problem);
            if (time is null)
            {
                return null;
            }
        }

        var (type, id) = message.Resource;
        return new HarvestEntry(type, id, time ?? _receiveTimes.Next(type, id, message.ReceivedAtMs), content.ContentType, content.Content, config.Category);
    }

    /// <summary>
    /// Writes the message's entries together: one spool record, or one item of the writer's queue, which the writer
    /// never splits across transactions, so a batch is stored whole or not at all.
    /// </summary>
    private async ValueTask<ServiceResult> StoreAsync(DeviceMessage message, HarvestGroupConfig config, HarvestEntry[] entries, CancellationToken cancellationToken)
    {
        if (config.Queued && _spool is not null)
        {
            // Acknowledged once durable in the spool; HarvestSpoolConsumer writes it to the store.
            return await _spool.AppendAsync(Guid.CreateVersion7(), HarvestSpoolConsumer.Serialize(entries)) switch
            {
                SpoolAppend.Stored => message.Protocol == SourceProtocol.Http ? s_okHttp : s_okText,
                SpoolAppend.Full => Fail(message, 503, "Harvest's spool is full; retry later"),
                _ => Fail(message, 503, "Harvest could not spool the data; retry later"),
            };
        }

        var stored = _writer.TryEnqueue(entries);
        if (stored is null)
        {
            return Fail(message, 503, "Harvest is busy: the write queue is full; retry later");
        }

        try
        {
            await stored.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Fail(message, 500, "Harvest could not store the data");
        }

        return message.Protocol == SourceProtocol.Http ? s_okHttp : s_okText;
    }

    private ServiceResult Fail(DeviceMessage message, int status, string reason)
    {
        if (!message.Subscriber.IsAnonymous)
        {
            var (type, id) = message.Resource;
            _errorLog.Add(LogService, type, id, reason, status, null, SourceProtocols.Name(message.Protocol), null);
        }

        var metric = status switch { 413 => "too_large", 503 => "busy", 500 => "store_failed", _ => "bad_request" };
        return ServiceResult.Refusal(ServiceName, message.Protocol, status, reason, metric);
    }
}
