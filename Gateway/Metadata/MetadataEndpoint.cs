using System.Text.Json.Nodes;
using Gateway.Devices;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Metadata;

/// <summary>
/// The metadata service on Host <c>metadata.</c> of the HTTP device listener: a device reads (and, when its group
/// allows, writes) its own subscriber. The subscriber is always the one the source address resolves to — there is no
/// IMSI in the path, and none taken from a header — so a device can see and change only itself. Errors use the
/// operator API's body, <c>{"code", "message"}</c>.
/// </summary>
internal sealed partial class MetadataEndpoint(IdentityResolver resolver, RegistryService registry, TimeProvider time, ILogger<MetadataEndpoint> logger)
    : IDeviceHostHandler, IDisposable
{
    // What the shared opening (refusal, CORS, preflight, "not enabled") answers for this service.
    private static readonly DeviceServiceAnswers s_answers =
        new("Metadata", DeviceHostRoute.Metadata, "MET0001", "MET0002", DisabledMessage, "GET, PUT, POST, DELETE");

    private readonly DeviceServicePrologue _prologue = new(resolver, s_answers, logger, time);

    public void Dispose() => _prologue.Dispose();

    /// <summary>Tag lists are small; anything bigger is not a tag write.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string DisabledMessage = "The metadata service is not enabled for the group of this SIM.";

    public const string ReadOnlyMessage = "The metadata service is read-only for the group of this SIM.";

    private const string SubscriberPath = "/v1/subscriber";

    public DeviceHostRoute Route => DeviceHostRoute.Metadata;

    public async Task HandleAsync(HttpContext context)
    {
        if (await _prologue.AdmitAsync(context) is not { } device)
        {
            return;
        }

        var settings = MetadataSettings.For(device.Group);
        if (_prologue.AnswerPreflight(context, settings.AllowOrigin))
        {
            return;
        }

        if (!settings.Enabled)
        {
            await _prologue.RefuseDisabledAsync(context);
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            await ReadAsync(context, device, settings, path);
            return;
        }

        if (!IsWrite(method, path))
        {
            Count("not_found");
            await ErrorAsync(context, StatusCodes.Status404NotFound, "MET0004", $"no such operation: {method} {path}");
            return;
        }

        if (settings.ReadOnly)
        {
            Count("readonly");
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "MET0003", ReadOnlyMessage);
            return;
        }

        await WriteAsync(context, device, method, path);
    }

    private static bool IsWrite(string method, string path) =>
        (HttpMethods.IsPut(method) && path == SubscriberPath + "/tags")
        || (HttpMethods.IsDelete(method) && path.StartsWith(SubscriberPath + "/tags/", StringComparison.Ordinal))
        || (HttpMethods.IsPost(method) && path is SubscriberPath + "/set_group" or SubscriberPath + "/unset_group");

    private static async Task ReadAsync(HttpContext context, DeviceIdentity device, MetadataSettings settings, string path)
    {
        if (path == "/v1/userdata")
        {
            Count("ok");
            await TextAsync(context, StatusCodes.Status200OK, settings.UserData ?? string.Empty);
            return;
        }

        var subscriber = SubscriberDocument.Write(device, context.Connection.RemoteIpAddress?.ToString());
        if (path == SubscriberPath)
        {
            Count("ok");
            await JsonAsync(context, StatusCodes.Status200OK, subscriber);
            return;
        }

        if (path.StartsWith(SubscriberPath + ".", StringComparison.Ordinal)
            && SubscriberDocument.Find(subscriber, path[(SubscriberPath.Length + 1)..]) is { } value)
        {
            Count("ok");
            await (value is JsonValue scalar
                ? TextAsync(context, StatusCodes.Status200OK, SubscriberDocument.ScalarText(scalar))
                : JsonAsync(context, StatusCodes.Status200OK, value));
            return;
        }

        Count("not_found");
        await ErrorAsync(context, StatusCodes.Status404NotFound, "MET0004", $"no such field or operation: {path}");
    }

    private async Task WriteAsync(HttpContext context, DeviceIdentity device, string method, string path)
    {
        var imsi = device.Subscriber!.Imsi;
        var body = context.Request.ContentLength > MaxBodyBytes
            ? null
            : await BoundedBody.ReadAsync(context.Request.Body, MaxBodyBytes, context.RequestAborted, context.Request.ContentLength);
        if (body is null)
        {
            Count("too_large");
            context.Response.Headers.Connection = "close";
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "COM0001", $"the body may be at most {MaxBodyBytes} bytes");
            return;
        }

        JsonNode? json = null;
        if (body.Length > 0)
        {
            json = StrictJson.Parse(body, lenient: false, out var parseError);
            if (parseError is not null)
            {
                await BadRequestAsync(context, $"the body is {parseError}");
                return;
            }
        }

        Action<JsonObject> modify;
        var status = StatusCodes.Status200OK;
        var current = registry.Snapshot.FindByImsi(imsi);
        if (current is null)
        {
            // Deleted between resolving and now.
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "MET0001", "device not recognised");
            return;
        }

        if (path.EndsWith("/tags", StringComparison.Ordinal))
        {
            if (TagRules.Parse(json, out var error) is not { } tags)
            {
                await BadRequestAsync(context, error!);
                return;
            }

            if (current.Tags.Keys.Union(tags.Select(static t => t.Key), StringComparer.Ordinal).Count() > TagRules.MaxTags)
            {
                await BadRequestAsync(context, $"a subscriber may have at most {TagRules.MaxTags} tags");
                return;
            }

            modify = o =>
            {
                var existing = o["tags"] as JsonObject ?? [];
                o["tags"] = existing;
                foreach (var (name, value) in tags)
                {
                    existing[name] = value;
                }
            };
        }
        else if (path.StartsWith(SubscriberPath + "/tags/", StringComparison.Ordinal))
        {
            var name = path[(SubscriberPath.Length + "/tags/".Length)..];
            if (!current.Tags.ContainsKey(name))
            {
                Count("not_found");
                await ErrorAsync(context, StatusCodes.Status404NotFound, "MET0004", $"no such tag: {name}");
                return;
            }

            modify = o => (o["tags"] as JsonObject)?.Remove(name);
            status = StatusCodes.Status204NoContent;
        }
        else if (path.EndsWith("/set_group", StringComparison.Ordinal))
        {
            if (json is not JsonObject request || request["groupId"] is not JsonValue v || !v.TryGetValue<string>(out var groupId) || groupId.Length == 0)
            {
                await BadRequestAsync(context, "groupId is required");
                return;
            }

            if (registry.Snapshot.FindGroup(groupId) is null)
            {
                await BadRequestAsync(context, $"no such group: {groupId}");
                return;
            }

            modify = o => o["groupId"] = groupId;
        }
        else
        {
            modify = static o => o.Remove("groupId");
        }

        var document = RegistryJson.Write(current);
        modify(document);
        var result = await registry.ApplyAsync([new RegistryChange(RegistryElementKind.Subscriber, imsi, document)], context.RequestAborted);
        if (!result.Succeeded)
        {
            await BadRequestAsync(context, string.Join("; ", result.Errors));
            return;
        }

        Count("written");
        LogWritten(logger, imsi, context.Request.Method, path);
        if (status == StatusCodes.Status204NoContent)
        {
            context.Response.StatusCode = status;
            return;
        }

        var updated = registry.Snapshot.FindByImsi(imsi)!;
        var group = registry.Snapshot.FindGroup(updated.GroupId);
        await JsonAsync(context, status, SubscriberDocument.Write(device with { Subscriber = updated, Group = group }, context.Connection.RemoteIpAddress?.ToString()));
    }

    private static void Count(string result) => DeviceMetrics.Count(DeviceHostRoute.Metadata.EntryPoint, result);

    private static Task BadRequestAsync(HttpContext context, string message)
    {
        Count("bad_request");
        return ErrorAsync(context, StatusCodes.Status400BadRequest, "COM0001", message);
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message) =>
        DeviceServiceError.WriteAsync(context, status, code, message);

    private static Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metadata: subscriber {Imsi} wrote {Method} {Path}")]
    private static partial void LogWritten(ILogger logger, string imsi, string method, string path);
}
