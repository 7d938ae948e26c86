using System.Buffers;
using System.Net.Http.Headers;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Devices;

/// <summary>
/// The HTTP device services listener (:8080): a device POSTs one message, the Host says which service it addresses
/// (<see cref="DeviceHostRoute"/>), and the reply is that service's own (Funnel: 204, or 400 for invalid JSON) or the
/// group's unified response format. Funnel's entry-point rules apply on every Host but <c>harvest.</c>: POST only, a
/// JSON, text or XML body, at most 800,000 bytes. <c>harvest.</c> takes Harvest's types too (octet-stream, form data —
/// curl's default — or none) and its <c>X-Soracom-Timestamp</c>. The device is who its source address says, never a header.
/// </summary>
internal sealed partial class DeviceHttpEndpoint(IdentityResolver resolver, MessagePipeline pipeline, TimeProvider time, ILogger<DeviceHttpEndpoint> logger)
    : IDisposable
{
    // Refusals are logged a few per source per window; the metrics count every one.
    private readonly Diagnostics.LogRateLimiter _refusals = new(logger, "device HTTP: refused requests", time);

    public void Dispose() => _refusals.Dispose();

    public const string TooLargeText = "Maximum content-length is: 800000";

    // Funnel's documented set. Anything else (form data, octet-stream, a missing type) is refused with 415 rather
    // than guessed at: the services decide how to read the body from this type.
    private static readonly string[] s_mediaTypes = ["application/json", "text/plain", "application/xml"];

    // Harvest Data's observed set (spec §4.1); a request without a type is stored as bytes.
    private static readonly string[] s_harvestMediaTypes = [.. s_mediaTypes, "application/octet-stream", "application/x-www-form-urlencoded"];

    public const string TimestampHeader = "X-Soracom-Timestamp";

    public async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var route = DeviceHostRoute.Match(context.Request.Host.Host);
        var name = route.EntryPoint;
        var remote = context.Connection.RemoteIpAddress!;
        var device = resolver.ResolveAddress(remote);
        if (!device.IsKnown)
        {
            if (_refusals.Allow(remote))
            {
                LogRefused(logger, name, remote.ToString(), device.Refusal, device.Subscriber?.Imsi);
            }

            DeviceMetrics.Count(name, RefusalTags.Refused(device.Refusal));
            await TextAsync(context, StatusCodes.Status403Forbidden, "device not recognised\n");
            return;
        }

        if (await RefuseRequestAsync(context, route))
        {
            return;
        }

        long? deviceTimestamp = null;
        if (route == DeviceHostRoute.Harvest && context.Request.Headers[TimestampHeader] is { Count: > 0 } header)
        {
            if (!long.TryParse(header[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
            {
                DeviceMetrics.Count(name, "bad_timestamp");
                await TextAsync(context, StatusCodes.Status400BadRequest, $"{TimestampHeader} must be Unix time in milliseconds (was '{header[0]}')\n");
                return;
            }

            deviceTimestamp = ms;
        }

        var body = context.Request.ContentLength > DeviceEndpointOptions.MaxHttpBodyBytes
            ? null
            : await BoundedBody.ReadAsync(context.Request.Body, DeviceEndpointOptions.MaxHttpBodyBytes, context.RequestAborted, context.Request.ContentLength);
        if (body is null)
        {
            DeviceMetrics.Count(name, "too_large");
            LogTooLarge(logger, name, device.Label);

            // The rest of the body is not read: the connection cannot carry another request after this reply.
            context.Response.Headers.Connection = "close";
            await TextAsync(context, StatusCodes.Status413PayloadTooLarge, TooLargeText);
            return;
        }

        var message = new DeviceMessage
        {
            Device = device,
            Protocol = SourceProtocol.Http,
            EntryPoint = name,
            Source = new System.Net.IPEndPoint(remote, context.Connection.RemotePort),
            Payload = body,
            ReceivedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            ContentType = context.Request.ContentType,
            OnlyService = route.OnlyService,
            DeviceTimestampMs = deviceTimestamp,
        };
        var result = await pipeline.ProcessAsync(message, context.RequestAborted);
        await ReplyAsync(context, route, device, result);
        if (!result.IsEmpty)
        {
            DeviceMetrics.RequestDuration(name, started);
        }
    }

    /// <summary>Funnel's request rules: POST, and a JSON, text or XML Content-Type (Harvest: its own set). True when refused (the reply is written).</summary>
    private async Task<bool> RefuseRequestAsync(HttpContext context, DeviceHostRoute route)
    {
        var name = route.EntryPoint;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            DeviceMetrics.Count(name, "method_not_allowed");
            LogMethodNotAllowed(logger, name, context.Connection.RemoteIpAddress, context.Request.Method);
            context.Response.Headers.Allow = "POST";
            await TextAsync(context, StatusCodes.Status405MethodNotAllowed, "device services take POST only\n");
            return true;
        }

        if (route == DeviceHostRoute.Harvest)
        {
            if (context.Request.ContentType is null
                || (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var harvestType) && s_harvestMediaTypes.Contains(harvestType.MediaType, StringComparer.OrdinalIgnoreCase)))
            {
                return false;
            }

            DeviceMetrics.Count(name, "unsupported_media_type");
            LogUnsupportedType(logger, name, context.Connection.RemoteIpAddress, context.Request.ContentType);
            await TextAsync(context, StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json, text/plain, application/xml, application/octet-stream or application/x-www-form-urlencoded\n");
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !s_mediaTypes.Contains(type.MediaType, StringComparer.OrdinalIgnoreCase))
        {
            DeviceMetrics.Count(name, "unsupported_media_type");
            LogUnsupportedType(logger, name, context.Connection.RemoteIpAddress, context.Request.ContentType);
            await TextAsync(context, StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json, text/plain or application/xml\n");
            return true;
        }

        return false;
    }

    private async Task ReplyAsync(HttpContext context, DeviceHostRoute route, DeviceIdentity device, PipelineResult result)
    {
        var name = route.EntryPoint;
        if (result.IsEmpty)
        {
            DeviceMetrics.Count(name, "no_service");
            LogNoService(logger, name, device.Label, route.OnlyService ?? "any service");
            // SORACOM's harvest.soracom.io answers 400 to a device whose group does not enable it (spec §4.1).
            await TextAsync(context, route == DeviceHostRoute.Harvest ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound, route.OnlyService is { } only
                ? $"{only} is not enabled for this device's group\n"
                : "no service of this device's group takes HTTP messages\n");
            return;
        }

        DeviceMetrics.Count(name, result.AllSucceeded ? "ok" : "failed");
        var native = route.OnlyService is not null
            ? result.Results[0]
            : UnifiedReply.NativeReply(result, UnifiedEndpointSettings.For(device.Group));
        if (native is not null)
        {
            context.Response.StatusCode = native.Status;
            if (native.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified) && !native.Body.IsEmpty)
            {
                context.Response.ContentType = native.NativeContentType;
                await context.Response.Body.WriteAsync(native.Body, context.RequestAborted);
            }

            return;
        }

        var json = new ArrayBufferWriter<byte>(256);
        UnifiedReply.WriteJson(result, json);
        context.Response.StatusCode = UnifiedReply.Status(result);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(json.WrittenMemory, context.RequestAborted);
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {EntryPoint}: refused {RemoteAddress} ({Refusal}, subscriber {Imsi})")]
    private static partial void LogRefused(ILogger logger, string entryPoint, string remoteAddress, RefusalReason refusal, string? imsi);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {EntryPoint}: refused method {Method} from {RemoteAddress}")]
    private static partial void LogMethodNotAllowed(ILogger logger, string entryPoint, System.Net.IPAddress? remoteAddress, string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {EntryPoint}: refused Content-Type '{ContentType}' from {RemoteAddress}")]
    private static partial void LogUnsupportedType(ILogger logger, string entryPoint, System.Net.IPAddress? remoteAddress, string? contentType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {EntryPoint}: subscriber {Imsi} sent a body over 800000 bytes")]
    private static partial void LogTooLarge(ILogger logger, string entryPoint, string imsi);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {EntryPoint}: subscriber {Imsi}: {Service} takes none of its HTTP messages")]
    private static partial void LogNoService(ILogger logger, string entryPoint, string imsi, string service);
}
