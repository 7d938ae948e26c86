using System.Buffers;
using System.Text.Json;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Lpwa;

/// <summary>
/// The endpoints network servers call with uplinks. Each request is checked in this order, each refusal logged and
/// counted: the integration exists (404), the secret matches (401), the body is at most 64 KiB (413) of well-formed
/// JSON in the network server's shape (400), the device is a registered, active LoRa/Sigfox device (403), its group
/// has an enabled Beam entry for the network (404). The uplink then goes through the message pipeline, and the
/// network server gets 204 once the upstream accepted it (2xx), the upstream's own status otherwise, or 502/504 when
/// it could not be reached, so nothing is acknowledged that was not delivered.
/// </summary>
internal sealed partial class LpwaIngestion(IdentityResolver resolver, LpwaIntegrations integrations, MessagePipeline pipeline, TimeProvider time, ILogger<LpwaIngestion> logger)
    : IDisposable
{
    // Refusals are logged a few per network server address per window; the metrics count every one.
    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "LPWA: refused uplinks", time);

    public void Dispose() => _refusals.Dispose();

    /// <summary>Largest body accepted. Uplink events are a few KiB even with many gateways' metadata.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public Task HandleChirpStackAsync(HttpContext context) => HandleAsync(context, LpwaNetwork.ChirpStack);

    public Task HandleTtsAsync(HttpContext context) => HandleAsync(context, LpwaNetwork.Tts);

    public Task HandleSigfoxAsync(HttpContext context) => HandleAsync(context, LpwaNetwork.Sigfox);

    private async Task HandleAsync(HttpContext context, LpwaNetwork network)
    {
        var type = LpwaMetrics.Tag(network);
        var integration = context.Request.RouteValues["integration"] as string ?? string.Empty;
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (!integrations.Exists(network, integration))
        {
            await RefuseAsync(context, network, StatusCodes.Status404NotFound, LpwaMetrics.UnknownIntegration, "unknown integration", integration, remote);
            return;
        }

        if (!integrations.IsAuthorized(network, integration, context.Request.Headers.Authorization))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await RefuseAsync(context, network, StatusCodes.Status401Unauthorized, LpwaMetrics.Unauthorized, "missing or wrong secret", integration, remote);
            return;
        }

        if (network == LpwaNetwork.ChirpStack)
        {
            // ChirpStack posts every event type to the one URL; only uplinks carry data for Beam.
            var eventType = context.Request.Query["event"].ToString();
            if (eventType != "up")
            {
                if (eventType.Length == 0)
                {
                    await RefuseAsync(context, network, StatusCodes.Status400BadRequest, LpwaMetrics.Malformed, "missing ?event=", integration, remote);
                    return;
                }

                LpwaMetrics.Count(network, LpwaMetrics.Ignored);
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            // The Protobuf encoding cannot be read here; say so rather than report it as malformed JSON.
            if (context.Request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                await RefuseAsync(context, network, StatusCodes.Status415UnsupportedMediaType, LpwaMetrics.UnsupportedMediaType, "set the integration's encoding to JSON", integration, remote);
                return;
            }
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await RefuseAsync(context, network, StatusCodes.Status413PayloadTooLarge, LpwaMetrics.TooLarge, $"body over {MaxBodyBytes} bytes", integration, remote);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var length = await ReadBodyAsync(context.Request.Body, buffer, context.RequestAborted);
            if (length > MaxBodyBytes)
            {
                await RefuseAsync(context, network, StatusCodes.Status413PayloadTooLarge, LpwaMetrics.TooLarge, $"body over {MaxBodyBytes} bytes", integration, remote);
                return;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 32 });
            }
            catch (JsonException)
            {
                await RefuseAsync(context, network, StatusCodes.Status400BadRequest, LpwaMetrics.Malformed, "malformed JSON", integration, remote);
                return;
            }

            using (document)
            {
                await HandleUplinkAsync(context, network, type, integration, remote, document.RootElement);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleUplinkAsync(HttpContext context, LpwaNetwork network, string type, string integration, string remote, JsonElement root)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        string? error;
        LoraUplink? lora = null;
        SigfoxCallback? sigfox = null;
        switch (network)
        {
            case LpwaNetwork.ChirpStack: lora = ChirpStackUplinkReader.Read(root, now, out error); break;
            case LpwaNetwork.Tts: lora = TtsUplinkReader.Read(root, now, out error); break;
            default: sigfox = SigfoxCallbackReader.Read(root, out error); break;
        }

        if (error is not null)
        {
            await RefuseAsync(context, network, StatusCodes.Status400BadRequest, LpwaMetrics.Malformed, error, integration, remote);
            return;
        }

        if (lora is null && sigfox is null)
        {
            // A TTS message other than an uplink, sent to the uplink URL.
            LpwaMetrics.Count(network, LpwaMetrics.Ignored);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var deviceId = lora?.DevEui ?? sigfox!.Device;
        var device = lora is not null ? resolver.ResolveLora(deviceId) : resolver.ResolveSigfox(deviceId);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(context.Connection.RemoteIpAddress))
            {
                LogUnknownDevice(logger, type, integration, deviceId, device.Refusal);
            }

            LpwaMetrics.Count(network, LpwaMetrics.Refused(device.Refusal));
            await TextAsync(context, StatusCodes.Status403Forbidden, device.Refusal == RefusalReason.UnknownDevice ? "device not registered" : "device not active");
            return;
        }

        var protocol = lora is not null ? SourceProtocol.Lora : SourceProtocol.Sigfox;
        if (!pipeline.Serves(device, protocol))
        {
            await RefuseNoEntryAsync(context, network, device.Subscriber!, protocol);
            return;
        }

        var message = Shape(device, protocol, type, lora, sigfox, now);
        var result = await pipeline.ProcessAsync(message, context.RequestAborted);
        if (result.IsEmpty)
        {
            await RefuseNoEntryAsync(context, network, device.Subscriber!, protocol);
            return;
        }

        await AnswerAsync(context, network, type, device.Subscriber!, result);
        LpwaMetrics.RequestDuration(network, started);
    }

    /// <summary>
    /// The shape stage: the uplink's bytes, and the body Beam forwards (with the group's parser fields merged in),
    /// built here because its fields are the network server's.
    /// </summary>
    private static DeviceMessage Shape(DeviceIdentity device, SourceProtocol protocol, string type, LoraUplink? lora, SigfoxCallback? sigfox, long now)
    {
        var parser = GroupBinaryParser.For(device.Group);
        var payload = lora?.Payload ?? sigfox!.Payload;
        var body = new ArrayBufferWriter<byte>(256 + payload.Length * 4);
        if (lora is not null)
        {
            LpwaBodyWriter.WriteLora(lora, parser, body);
        }
        else
        {
            LpwaBodyWriter.WriteSigfox(sigfox!, parser, body);
        }

        return new DeviceMessage
        {
            Device = device,
            Protocol = protocol,
            EntryPoint = type,
            Payload = payload,
            Json = body.WrittenMemory,
            ReceivedAtMs = now,
        };
    }

    /// <summary>
    /// The network server's answer: 204 once the upstream accepted the uplink (2xx), the upstream's own status
    /// otherwise, or the gateway's failure status and reason. With several services, the first that did not accept
    /// answers, so nothing is acknowledged that was not delivered everywhere.
    /// </summary>
    private async Task AnswerAsync(HttpContext context, LpwaNetwork network, string type, Subscriber subscriber, PipelineResult result)
    {
        var answer = result.Results[0];
        foreach (var r in result.Results)
        {
            if (r.Failure is not null || r.Status is < 200 or >= 300)
            {
                answer = r;
                break;
            }
        }

        if (answer.Failure is { } failure)
        {
            LpwaMetrics.Count(network, answer.FailureMetric ?? "failed");
            await TextAsync(context, answer.Status, failure);
        }
        else if (answer.Status is >= 200 and < 300)
        {
            LpwaMetrics.Count(network, LpwaMetrics.Ok);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            LogUpstreamStatus(logger, type, subscriber.Imsi, answer.Service, answer.Status);
            LpwaMetrics.Count(network, LpwaMetrics.UpstreamErrorStatus);
            await TextAsync(context, answer.Status, $"upstream answered {answer.Status}");
        }
    }

    private Task RefuseNoEntryAsync(HttpContext context, LpwaNetwork network, Subscriber subscriber, SourceProtocol protocol)
    {
        if (_refusals.Allow(context.Connection.RemoteIpAddress))
        {
            LogNoEntry(logger, LpwaMetrics.Tag(network), subscriber.Imsi, subscriber.GroupId);
        }

        LpwaMetrics.Count(network, LpwaMetrics.NoEntry);
        return TextAsync(context, StatusCodes.Status404NotFound, protocol == SourceProtocol.Lora ? "no Beam LoRaWAN entry for this device's group" : "no Beam Sigfox entry for this device's group");
    }

    /// <summary>Reads up to one byte past the limit, so that "exactly the limit" and "over it" can be told apart.</summary>
    private static async Task<int> ReadBodyAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        int n;
        while (total <= MaxBodyBytes && (n = await body.ReadAsync(buffer.AsMemory(total, MaxBodyBytes + 1 - total), cancellationToken)) > 0)
        {
            total += n;
        }

        return total;
    }

    private Task RefuseAsync(HttpContext context, LpwaNetwork network, int status, string result, string reason, string integration, string remote)
    {
        if (_refusals.Allow(remote))
        {
            LogRefused(logger, LpwaMetrics.Tag(network), integration, remote, status, reason);
        }

        LpwaMetrics.Count(network, result);
        return TextAsync(context, status, reason);
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n", context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LPWA {Type} integration '{Integration}' from {RemoteAddress}: refused with {Status}, {Reason}")]
    private static partial void LogRefused(ILogger logger, string type, string integration, string remoteAddress, int status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LPWA {Type} integration '{Integration}': device {DeviceId} refused ({Refusal})")]
    private static partial void LogUnknownDevice(ILogger logger, string type, string integration, string deviceId, RefusalReason refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LPWA {Type}: subscriber {Imsi} in group {GroupId} has no enabled Beam entry for this network")]
    private static partial void LogNoEntry(ILogger logger, string type, string imsi, string? groupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LPWA {Type}: subscriber {Imsi}: {Service}'s upstream answered {Status}")]
    private static partial void LogUpstreamStatus(ILogger logger, string type, string imsi, string service, int status);
}
