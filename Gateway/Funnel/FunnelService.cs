using Gateway.Adapters;
using Gateway.Logs;
using Gateway.Pipeline;
using Gateway.Registry;
using Gateway.Spool;
using Microsoft.Extensions.Options;

namespace Gateway.Funnel;

/// <summary>
/// SORACOM Funnel as a pipeline service: wraps a device's message in the Funnel envelope and hands it to the group's
/// destination through <see cref="FunnelDispatcher"/>, answering once the destination accepted or refused it (spec
/// §3.1). Replies in SORACOM's forms: HTTP 204 (or the status with <c>{"message": …}</c>), TCP/UDP <c>200</c> (or
/// <c>&lt;status&gt; &lt;reason&gt;</c>; TCP closes after an invalid-JSON refusal). Failures go to the error log
/// under the device's resource. An anonymous device (a group's address range, no SIM) is served without identity
/// fields, unless the destination needs an IMSI (<c>#{imsi}</c>), which it has not.
/// </summary>
internal sealed class FunnelService : IDeviceService
{
    public const string ServiceName = "funnel";
    public const string LogService = "Funnel";

    private static readonly ServiceResult s_okText = new() { Service = ServiceName, Status = 200, NativeText = "200"u8.ToArray() };
    private static readonly ServiceResult s_okHttp = new() { Service = ServiceName, Status = 204 };
    private readonly FunnelDispatcher _dispatcher;
    private readonly ErrorLog _errorLog;
    private readonly string _operatorId;
    private readonly DurableSpool? _spool;

    /// <param name="spool">Where groups with <c>delivery: "queued"</c> put their messages; without one, such groups are delivered synchronously.</param>
    public FunnelService(FunnelDispatcher dispatcher, ErrorLog errorLog, IOptions<FunnelOptions> options, [FromKeyedServices(ServiceName)] DurableSpool? spool = null)
    {
        _dispatcher = dispatcher;
        _errorLog = errorLog;
        _operatorId = options.Value.OperatorId ?? "OP0000000000";
        _spool = spool;
    }

    public string Name => ServiceName;

    public bool Accepts(DeviceIdentity device, SourceProtocol protocol)
    {
        var config = ConfigFor(device.Group);
        return config.Usable && !(device.Subscriber is { IsAnonymous: true } && config.NeedsImsi);
    }

    public async ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        var config = ConfigFor(message.Device.Group);
        var subscriber = message.Subscriber;
        if (!config.Usable || (subscriber.IsAnonymous && config.NeedsImsi))
        {
            return Fail(message, config, 403, "Funnel is not available to this device", null);
        }

        var route = config.RouteFor(subscriber.Imsi);
        if (route.Problem is { } problem)
        {
            return Fail(message, config, 500, "Funnel is misconfigured: " + problem, null);
        }

        var id = Guid.CreateVersion7();
        var messageId = id.ToString();
        PooledBufferWriter body;
        if (config.SendPayloadsAsBinary)
        {
            // AWS IoT's sendPayloadsAsBinary: the device's bytes as they came, whatever the content type or binary
            // parser says (the envelope, and so its JSON check, is not written at all).
            body = new PooledBufferWriter(message.Payload.Length);
            message.Payload.Span.CopyTo(body.GetSpan(message.Payload.Length));
            body.Advance(message.Payload.Length);
        }
        else
        {
            body = new PooledBufferWriter(512 + (message.Payload.Length * 4 / 3) + (message.Json?.Length ?? 0));
        }

        if (!config.SendPayloadsAsBinary && !FunnelEnvelope.TryWrite(body, config, message, _operatorId, route.CredentialsId, messageId))
        {
            body.Dispose();
            Record(message, config, 400, FunnelEnvelope.InvalidJson, messageId);
            return Failure(message.Protocol, 400, FunnelEnvelope.InvalidJson, closeConnection: message.Protocol == SourceProtocol.Tcp);
        }

        var outgoing = new OutgoingMessage
        {
            Body = body.WrittenMemory,
            Target = config.Destination!.IsPerSubscriber ? config.Destination.ResourceUrl.Replace(FunnelConfigValidator.Placeholder, subscriber.Imsi, StringComparison.Ordinal) : null,
            Key = subscriber.IsAnonymous ? null : subscriber.Imsi,
            Attributes = Attributes(message, config),
            ContentType = config.SendPayloadsAsBinary ? "application/octet-stream" : "application/json",
            MessageId = messageId,
            TimestampMs = message.ReceivedAtMs,
        };

        if (config.Queued && _spool is not null)
        {
            return await SpoolAsync(message, config, route, outgoing, body, id);
        }

        // The dispatcher owns the body from here: it returns the buffer when the delivery is final, even if this
        // caller stops waiting (the device went away) before then.
        var result = await _dispatcher.DeliverAsync(config, route, outgoing, body).WaitAsync(cancellationToken);
        if (result.Outcome == DeliveryOutcome.Delivered)
        {
            return message.Protocol == SourceProtocol.Http ? s_okHttp : s_okText;
        }

        return Fail(message, config, result.Status, result.Reason ?? "not delivered", messageId);
    }

    /// <summary>
    /// <c>delivery: "queued"</c>: the message is written to the spool and the device acknowledged as if delivered (204 /
    /// <c>200</c>) once it is durable; <see cref="FunnelSpoolConsumer"/> delivers it. Refused at once when the
    /// destination could never take it (413) or the spool is full (503).
    /// </summary>
    private async Task<ServiceResult> SpoolAsync(DeviceMessage message, FunnelGroupConfig config, FunnelRoute route, OutgoingMessage outgoing, PooledBufferWriter body, Guid id)
    {
        var messageId = outgoing.MessageId;
        byte[] entry;
        using (body)
        {
            if (_dispatcher.MaxMessageBytes(config, route) is not { } max)
            {
                return Fail(message, config, 502, $"{config.Kind} adapter could not be created", messageId);
            }

            if (outgoing.Body.Length > max)
            {
                return Fail(message, config, 413, $"Maximum content-length is: {max}", messageId);
            }

            var (type, resource) = message.Subscriber.IsAnonymous ? (string.Empty, string.Empty) : message.Resource;
            entry = new FunnelSpoolEntry(config.GroupId, message.Subscriber.IsAnonymous ? string.Empty : message.Subscriber.Imsi, type, resource,
                SourceProtocols.Name(message.Protocol), outgoing.Target, outgoing.Key, outgoing.ContentType, outgoing.TimestampMs, outgoing.Attributes, outgoing.Body).Serialize();
        }

        return await _spool!.AppendAsync(id, entry) switch
        {
            SpoolAppend.Stored => message.Protocol == SourceProtocol.Http ? s_okHttp : s_okText,
            SpoolAppend.Full => Fail(message, config, 503, "Funnel's spool is full; try again later", messageId),
            SpoolAppend.TooLarge => Fail(message, config, 413, $"Maximum content-length is: {_spool.MaxPayloadBytes}", messageId),
            _ => Fail(message, config, 503, "Funnel could not spool the message; try again later", messageId),
        };
    }

    private FunnelGroupConfig ConfigFor(Group? group) => FunnelGroupConfig.For(group, _dispatcher.Snapshot, _dispatcher.Factories);

    /// <summary>The identity a destination may label the record with (headers, attributes, properties): what the envelope holds.</summary>
    private static List<KeyValuePair<string, string>> Attributes(DeviceMessage message, FunnelGroupConfig config)
    {
        var subscriber = message.Subscriber;
        var attributes = new List<KeyValuePair<string, string>>(3);
        if (subscriber.IsAnonymous)
        {
            return attributes;
        }

        attributes.Add(new("imsi", subscriber.Imsi));
        if (message.Device.Imei is { } imei)
        {
            attributes.Add(new("imei", imei));
        }

        if (config.AddSimId && subscriber.SimId is { } simId)
        {
            attributes.Add(new("simId", simId));
        }

        return attributes;
    }

    private ServiceResult Fail(DeviceMessage message, FunnelGroupConfig config, int status, string reason, string? messageId)
    {
        Record(message, config, status, reason, messageId);
        return Failure(message.Protocol, status, reason);
    }

    /// <summary>The error log keeps LPWA devices under their own resource type, as SORACOM does; an anonymous device has no resource.</summary>
    private void Record(DeviceMessage message, FunnelGroupConfig config, int status, string reason, string? messageId)
    {
        var subscriber = message.Subscriber;
        if (subscriber.IsAnonymous)
        {
            return;
        }

        var (type, id) = message.Resource;
        _errorLog.Add(LogService, type, id, reason, status, config.Kind, SourceProtocols.Name(message.Protocol), messageId);
    }

    /// <summary>A refusal in each entry point's form: HTTP <c>{"message": reason}</c> as JSON, TCP/UDP <c>&lt;status&gt; &lt;reason&gt;</c>.</summary>
    internal static ServiceResult Failure(SourceProtocol protocol, int status, string reason, bool closeConnection = false) =>
        ServiceResult.Refusal(ServiceName, protocol, status, reason, closeConnection: closeConnection);
}
