using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Registry;
using Gateway.Sessions;

namespace Gateway.Admin;

/// <summary>
/// The admin API, on SORACOM's paths where they exist (<c>/v1/auth</c>, <c>/v1/subscribers/…</c>, <c>/v1/groups/…</c>,
/// <c>/v1/credentials/…</c>), with SORACOM's <c>{"code","message"}</c> errors and <c>X-Soracom-API-Key</c> /
/// <c>X-Soracom-Token</c> authentication. Every change is validated against the whole registry before it is
/// written; a refused change returns every error with its path.
/// </summary>
internal static partial class AdminApi
{
    private const int MaxBodyBytes = 1024 * 1024;

    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth", AuthenticateAsync);

        var api = app.MapGroup("/v1").AddEndpointFilter(AuthorizeAsync);

        api.MapGet("/subscribers", ListSubscribers).WithMetadata(new SamOperation("Subscriber:listSubscribers"));
        api.MapGet("/subscribers/{imsi}", GetSubscriber).WithMetadata(new SamOperation("Subscriber:getSubscriber"));
        api.MapPost("/subscribers", CreateSubscriberAsync).WithMetadata(new SamOperation("Subscriber:createSubscriber"));
        api.MapPut("/subscribers/{imsi}", UpdateSubscriberAsync).WithMetadata(new SamOperation("Subscriber:updateSubscriber"));
        api.MapDelete("/subscribers/{imsi}", DeleteSubscriberAsync).WithMetadata(new SamOperation("Subscriber:deleteSubscriber"));
        api.MapPost("/subscribers/{imsi}/set_group", SetGroupAsync).WithMetadata(new SamOperation("Subscriber:setGroup"));
        api.MapPost("/subscribers/{imsi}/unset_group", UnsetGroupAsync).WithMetadata(new SamOperation("Subscriber:unsetGroup"));
        api.MapPut("/subscribers/{imsi}/tags", PutSubscriberTagsAsync).WithMetadata(new SamOperation("Subscriber:putTags"));
        api.MapDelete("/subscribers/{imsi}/tags/{tagName}", DeleteSubscriberTagAsync).WithMetadata(new SamOperation("Subscriber:deleteTag"));
        api.MapPost("/subscribers/{imsi}/set_imei_lock", SetImeiLockAsync).WithMetadata(new SamOperation("Subscriber:setImeiLock"));
        api.MapPost("/subscribers/{imsi}/unset_imei_lock", UnsetImeiLockAsync).WithMetadata(new SamOperation("Subscriber:unsetImeiLock"));

        api.MapGet("/groups", ListGroups).WithMetadata(new SamOperation("Group:listGroups"));
        api.MapPost("/groups", CreateGroupAsync).WithMetadata(new SamOperation("Group:createGroup"));
        api.MapGet("/groups/{groupId}", GetGroup).WithMetadata(new SamOperation("Group:getGroup"));
        api.MapDelete("/groups/{groupId}", DeleteGroupAsync).WithMetadata(new SamOperation("Group:deleteGroup"));
        api.MapGet("/groups/{groupId}/subscribers", ListGroupSubscribers).WithMetadata(new SamOperation("Group:listSubscribers"));
        api.MapPut("/groups/{groupId}/tags", PutGroupTagsAsync).WithMetadata(new SamOperation("Group:putTags"));
        api.MapPut("/groups/{groupId}/configuration/{ns}", PutConfigurationAsync).WithMetadata(new SamOperation("Group:putConfigurationParameters"));
        api.MapDelete("/groups/{groupId}/configuration/{ns}", DeleteNamespaceAsync).WithMetadata(new SamOperation("Group:deleteConfigurationNamespace"));
        api.MapDelete("/groups/{groupId}/configuration/{ns}/{**name}", DeleteParameterAsync).WithMetadata(new SamOperation("Group:deleteConfigurationParameter"));

        api.MapGet("/credentials", ListCredentials).WithMetadata(new SamOperation("Credential:listCredentials"));
        api.MapPost("/credentials/{credentialsId}", CreateCredentialAsync).WithMetadata(new SamOperation("Credential:createCredential"));
        api.MapPut("/credentials/{credentialsId}", UpdateCredentialAsync).WithMetadata(new SamOperation("Credential:updateCredential"));
        api.MapDelete("/credentials/{credentialsId}", DeleteCredentialAsync).WithMetadata(new SamOperation("Credential:deleteCredential"));
        api.MapLogsApi();
        Tail.TailApi.MapTailApi(api);
        Health.HealthApi.MapHealthApi(api);
        Harvest.HarvestApi.MapHarvestApi(api);
    }

    // ---- auth ----

    private static async Task<IResult> AuthenticateAsync(HttpContext context, AdminAuth auth, Microsoft.Extensions.Options.IOptions<AdminOptions> options)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var seconds = AdminAuth.DefaultTokenSeconds;
        if (body.Node?["tokenTimeoutSeconds"] is JsonValue t && (!t.TryGetValue(out seconds) || seconds is < 180 or > AdminAuth.MaxTokenSeconds))
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", $"tokenTimeoutSeconds must be between 180 and {AdminAuth.MaxTokenSeconds}");
        }

        var issued = auth.Authenticate(Str(body.Node, "authKeyId"), Str(body.Node, "authKey"), seconds);
        if (issued is null)
        {
            return Error(StatusCodes.Status401Unauthorized, "AUT0001", "Invalid authKeyId or authKey");
        }

        return Results.Json(new JsonObject
        {
            ["apiKey"] = issued.Value.ApiKey,
            ["token"] = issued.Value.Token,
            ["operatorId"] = options.Value.OperatorId,
        });
    }

    private static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var auth = context.RequestServices.GetRequiredService<AdminAuth>();
        var permission = auth.Validate(context.Request.Headers["X-Soracom-API-Key"].FirstOrDefault(), context.Request.Headers["X-Soracom-Token"].FirstOrDefault(), out var reason);
        if (permission is null)
        {
            return Error(StatusCodes.Status401Unauthorized, "AUT0002", reason);
        }

        var operation = context.GetEndpoint()?.Metadata.GetMetadata<SamOperation>()?.Name ?? "*";
        var facts = new RequestFacts(context.Connection.RemoteIpAddress, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        if (!permission.Allows(operation, facts))
        {
            return Error(StatusCodes.Status403Forbidden, "AUT0003", $"Not permitted: {operation}");
        }

        return await next(invocation);
    }

    // ---- subscribers ----

    /// <summary>
    /// SORACOM's paging: subscribers in IMSI order, at most <c>limit</c> (default and most <see cref="MaxPageSize"/>)
    /// after the IMSI <c>last_evaluated_key</c>; when more follow, <c>x-soracom-next-key</c> holds the key for the
    /// next page (and <c>link</c> its URL). A page costs its own length, so a million SIMs are listed page by page.
    /// </summary>
    private static IResult ListSubscribers(HttpContext context, RegistryService registry, string? group_id, string? limit, string? last_evaluated_key)
    {
        if (PageSize(limit) is not { } size)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", $"limit must be a whole number from 1 to {MaxPageSize}");
        }

        var page = registry.Snapshot.SubscribersAfter(last_evaluated_key)
            .Where(s => group_id is null || s.GroupId == group_id)
            .Take(size + 1)
            .ToList();
        if (page.Count > size)
        {
            page.RemoveAt(size);
            var next = page[^1].Imsi;
            context.Response.Headers["x-soracom-next-key"] = next;
            context.Response.Headers.Link = $"<{context.Request.Path}?limit={size}&last_evaluated_key={Uri.EscapeDataString(next)}>; rel=next";
        }

        // Session state is read from the container when there is one (a host with the admin API alone has none):
        // minimal APIs would take an unregistered parameter type for a body, which a GET cannot have.
        var sessions = context.RequestServices.GetService<DeviceSessions>();
        return Results.Json(new JsonArray([.. page.Select(s => (JsonNode)WithSession(RegistryJson.Write(s), s, sessions))]));
    }

    /// <summary>The most subscribers one list response holds, and how many it holds when no <c>limit</c> is given.</summary>
    internal const int MaxPageSize = 1000;

    /// <summary>A <c>limit</c> query value: absent is the default page; above the most, the most; else it must be 1 or more.</summary>
    private static int? PageSize(string? limit) =>
        limit is null ? MaxPageSize
        : int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? Math.Min(n, MaxPageSize)
        : null;

    private static IResult GetSubscriber(HttpContext context, RegistryService registry, string imsi) =>
        registry.Snapshot.FindByImsi(imsi) is { } s
            ? Results.Json(WithSession(RegistryJson.Write(s), s, context.RequestServices.GetService<DeviceSessions>()))
            : NotFound("subscriber", imsi);

    /// <summary>
    /// SORACOM's <c>sessionStatus</c>, as far as this instance knows it: <c>online</c> (a live connection, or seen within
    /// <c>Gateway:Sessions:OnlineWindowSeconds</c>), <c>lastUpdatedAt</c> (when it was last seen, Unix ms; null when not
    /// since the gateway started) and the gateway's own <c>connections</c> (open now). Read-only: the registry ignores it.
    /// </summary>
    private static JsonObject WithSession(JsonObject o, Subscriber subscriber, DeviceSessions? sessions)
    {
        var status = sessions?.Status(subscriber.Imsi) ?? default;
        o["sessionStatus"] = new JsonObject
        {
            ["online"] = status.Online,
            ["imsi"] = subscriber.Imsi,
            ["lastUpdatedAt"] = status.LastSeenMs,
            ["connections"] = status.Connections,
        };
        return o;
    }

    private static async Task<IResult> CreateSubscriberAsync(HttpContext context, RegistryService registry)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        if (body.Node is not JsonObject o || Str(o, "imsi") is not { } imsi)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", "the body must be a subscriber object with an imsi");
        }

        if (registry.Snapshot.FindByImsi(imsi) is not null)
        {
            return Error(StatusCodes.Status409Conflict, "COM0003", $"subscriber {imsi} already exists");
        }

        return await ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Subscriber, imsi, o), () => RegistryJson.Write(registry.Snapshot.FindByImsi(imsi)!), StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateSubscriberAsync(HttpContext context, RegistryService registry, string imsi)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        if (body.Node is not JsonObject o || (Str(o, "imsi") ?? imsi) != imsi)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", "the body must be a subscriber object whose imsi, if given, matches the path");
        }

        if (registry.Snapshot.FindByImsi(imsi) is null)
        {
            return NotFound("subscriber", imsi);
        }

        o["imsi"] = imsi;
        return await ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Subscriber, imsi, o), () => RegistryJson.Write(registry.Snapshot.FindByImsi(imsi)!));
    }

    private static Task<IResult> DeleteSubscriberAsync(HttpContext context, RegistryService registry, string imsi) =>
        registry.Snapshot.FindByImsi(imsi) is null
            ? Task.FromResult(NotFound("subscriber", imsi))
            : ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Subscriber, imsi, null), null, StatusCodes.Status204NoContent);

    private static async Task<IResult> SetGroupAsync(HttpContext context, RegistryService registry, string imsi)
    {
        var body = await ReadJsonAsync(context);
        return body.Error ?? (Str(body.Node, "groupId") is { } groupId
            ? await ModifySubscriberAsync(context, registry, imsi, o => o["groupId"] = groupId)
            : Error(StatusCodes.Status400BadRequest, "COM0001", "groupId is required"));
    }

    private static Task<IResult> UnsetGroupAsync(HttpContext context, RegistryService registry, string imsi) =>
        ModifySubscriberAsync(context, registry, imsi, o => o.Remove("groupId"));

    private static async Task<IResult> PutSubscriberTagsAsync(HttpContext context, RegistryService registry, string imsi)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        return ParseTagList(body.Node) is { } tags
            ? await ModifySubscriberAsync(context, registry, imsi, o => MergeTags(o, tags))
            : Error(StatusCodes.Status400BadRequest, "COM0001", "the body must be [{\"tagName\": \"…\", \"tagValue\": \"…\"}]");
    }

    private static Task<IResult> DeleteSubscriberTagAsync(HttpContext context, RegistryService registry, string imsi, string tagName) =>
        registry.Snapshot.FindByImsi(imsi) is { } s && !s.Tags.ContainsKey(tagName)
            ? Task.FromResult(NotFound("tag", tagName))
            : ModifySubscriberAsync(context, registry, imsi, o => (o["tags"] as JsonObject)?.Remove(tagName), StatusCodes.Status204NoContent);

    private static async Task<IResult> SetImeiLockAsync(HttpContext context, RegistryService registry, string imsi)
    {
        var body = await ReadJsonAsync(context);
        return body.Error ?? (Str(body.Node, "imei") is { } imei
            ? await ModifySubscriberAsync(context, registry, imsi, o => o["imeiLock"] = new JsonObject { ["imei"] = imei })
            : Error(StatusCodes.Status400BadRequest, "COM0001", "imei is required"));
    }

    private static Task<IResult> UnsetImeiLockAsync(HttpContext context, RegistryService registry, string imsi) =>
        ModifySubscriberAsync(context, registry, imsi, o => o.Remove("imeiLock"));

    private static Task<IResult> ModifySubscriberAsync(HttpContext context, RegistryService registry, string imsi, Action<JsonObject> modify, int status = StatusCodes.Status200OK)
    {
        if (registry.Snapshot.FindByImsi(imsi) is not { } subscriber)
        {
            return Task.FromResult(NotFound("subscriber", imsi));
        }

        var o = RegistryJson.Write(subscriber);
        modify(o);
        return ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Subscriber, imsi, o), () => RegistryJson.Write(registry.Snapshot.FindByImsi(imsi)!), status);
    }

    // ---- groups ----

    private static IResult ListGroups(RegistryService registry) =>
        Results.Json(new JsonArray([.. registry.Snapshot.Groups.Select(static g => (JsonNode)RegistryJson.Write(g, includeSecrets: false))]));

    private static IResult GetGroup(RegistryService registry, string groupId) =>
        registry.Snapshot.FindGroup(groupId) is { } g ? Results.Json(RegistryJson.Write(g, includeSecrets: false)) : NotFound("group", groupId);

    private static IResult ListGroupSubscribers(HttpContext context, RegistryService registry, string groupId, string? limit, string? last_evaluated_key) =>
        registry.Snapshot.FindGroup(groupId) is null
            ? NotFound("group", groupId)
            : ListSubscribers(context, registry, groupId, limit, last_evaluated_key);

    private static async Task<IResult> CreateGroupAsync(HttpContext context, RegistryService registry, TimeProvider time)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var o = body.Node as JsonObject ?? [];
        var groupId = Str(o, "groupId") ?? Guid.NewGuid().ToString("D");
        if (registry.Snapshot.FindGroup(groupId) is not null)
        {
            return Error(StatusCodes.Status409Conflict, "COM0003", $"group {groupId} already exists");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        o["groupId"] = groupId;
        o["createdTime"] = now;
        o["lastModifiedTime"] = now;
        return await ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Group, groupId, o), () => RegistryJson.Write(registry.Snapshot.FindGroup(groupId)!, includeSecrets: false), StatusCodes.Status201Created);
    }

    private static Task<IResult> DeleteGroupAsync(HttpContext context, RegistryService registry, string groupId) =>
        registry.Snapshot.FindGroup(groupId) is null
            ? Task.FromResult(NotFound("group", groupId))
            : ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Group, groupId, null), null, StatusCodes.Status204NoContent);

    private static async Task<IResult> PutGroupTagsAsync(HttpContext context, RegistryService registry, TimeProvider time, string groupId)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        return ParseTagList(body.Node) is { } tags
            ? await ModifyGroupAsync(context, registry, time, groupId, o => MergeTags(o, tags))
            : Error(StatusCodes.Status400BadRequest, "COM0001", "the body must be [{\"tagName\": \"…\", \"tagValue\": \"…\"}]");
    }

    private static async Task<IResult> PutConfigurationAsync(HttpContext context, RegistryService registry, TimeProvider time, string groupId, string ns)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        if (!RegistryParser.Namespaces.Contains(ns))
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", $"unknown namespace {ns}; known: {string.Join(", ", RegistryParser.Namespaces)}");
        }

        var errors = new List<string>();
        var parameters = RegistryParser.ToMapForm(body.Node, $"configuration.{ns}", errors);
        if (parameters is null)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", errors[0], errors);
        }

        return await ModifyGroupAsync(context, registry, time, groupId, o =>
        {
            var configuration = o["configuration"] as JsonObject ?? [];
            o["configuration"] = configuration;
            var map = configuration[ns] as JsonObject ?? [];
            configuration[ns] = map;
            // A secret sent back as the mask the API showed keeps the stored secret.
            ConfigurationSecrets.Restore(ns, parameters, map);
            foreach (var (key, value) in parameters)
            {
                map[key] = value?.DeepClone();
            }
        });
    }

    private static Task<IResult> DeleteNamespaceAsync(HttpContext context, RegistryService registry, TimeProvider time, string groupId, string ns) =>
        ModifyGroupAsync(context, registry, time, groupId, o => (o["configuration"] as JsonObject)?.Remove(ns), StatusCodes.Status204NoContent);

    private static Task<IResult> DeleteParameterAsync(HttpContext context, RegistryService registry, TimeProvider time, string groupId, string ns, string name)
    {
        // Keys such as tcp://beam.soracom.io:8023 arrive percent-encoded; routing leaves %2F undecoded.
        var key = Uri.UnescapeDataString(name);
        if (registry.Snapshot.FindGroup(groupId)?.Configuration[ns] is JsonObject map && !map.ContainsKey(key))
        {
            return Task.FromResult(NotFound("configuration parameter", key));
        }

        return ModifyGroupAsync(context, registry, time, groupId, o => ((o["configuration"] as JsonObject)?[ns] as JsonObject)?.Remove(key), StatusCodes.Status204NoContent);
    }

    private static Task<IResult> ModifyGroupAsync(HttpContext context, RegistryService registry, TimeProvider time, string groupId, Action<JsonObject> modify, int status = StatusCodes.Status200OK)
    {
        if (registry.Snapshot.FindGroup(groupId) is not { } group)
        {
            return Task.FromResult(NotFound("group", groupId));
        }

        var o = RegistryJson.Write(group, includeSecrets: true);
        modify(o);
        o["lastModifiedTime"] = time.GetUtcNow().ToUnixTimeMilliseconds();
        return ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Group, groupId, o), () => RegistryJson.Write(registry.Snapshot.FindGroup(groupId)!, includeSecrets: false), status);
    }

    // ---- credentials ----

    private static IResult ListCredentials(RegistryService registry) =>
        Results.Json(new JsonArray([.. registry.Snapshot.Credentials.Select(static c => (JsonNode)RegistryJson.Write(c, includeSecrets: false))]));

    private static Task<IResult> CreateCredentialAsync(HttpContext context, RegistryService registry, TimeProvider time, string credentialsId) =>
        WriteCredentialAsync(context, registry, time, credentialsId, create: true);

    private static Task<IResult> UpdateCredentialAsync(HttpContext context, RegistryService registry, TimeProvider time, string credentialsId) =>
        WriteCredentialAsync(context, registry, time, credentialsId, create: false);

    private static async Task<IResult> WriteCredentialAsync(HttpContext context, RegistryService registry, TimeProvider time, string credentialsId, bool create)
    {
        var body = await ReadJsonAsync(context);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var existing = registry.Snapshot.Credentials.FirstOrDefault(c => c.CredentialsId == credentialsId);
        if (create && existing is not null)
        {
            return Error(StatusCodes.Status409Conflict, "COM0003", $"credential set {credentialsId} already exists");
        }

        if (!create && existing is null)
        {
            return NotFound("credential set", credentialsId);
        }

        if (body.Node is not JsonObject o)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", "the body must be {type, description, credentials}");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        o["credentialsId"] = credentialsId;
        o["createDateTime"] = existing?.CreateDateTime ?? now;
        o["updateDateTime"] = now;
        return await ApplyAsync(
            context,
            registry,
            new RegistryChange(RegistryElementKind.Credential, credentialsId, o),
            () => RegistryJson.Write(registry.Snapshot.Credentials.First(c => c.CredentialsId == credentialsId), includeSecrets: false),
            create ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static Task<IResult> DeleteCredentialAsync(HttpContext context, RegistryService registry, string credentialsId) =>
        registry.Snapshot.Credentials.All(c => c.CredentialsId != credentialsId)
            ? Task.FromResult(NotFound("credential set", credentialsId))
            : ApplyAsync(context, registry, new RegistryChange(RegistryElementKind.Credential, credentialsId, null), null, StatusCodes.Status204NoContent);

    // ---- helpers ----

    private static async Task<IResult> ApplyAsync(HttpContext context, RegistryService registry, RegistryChange change, Func<JsonObject>? result, int status = StatusCodes.Status200OK)
    {
        RegistryUpdateResult outcome;
        try
        {
            outcome = await registry.ApplyAsync([change], context.RequestAborted);
        }
        catch (StoreUnavailableException e)
        {
            // Never a success the store did not keep.
            return Error(StatusCodes.Status503ServiceUnavailable, "COM0005", e.Message);
        }

        if (!outcome.Succeeded)
        {
            return Error(StatusCodes.Status400BadRequest, "COM0001", outcome.Errors[0], outcome.Errors);
        }

        return status == StatusCodes.Status204NoContent || result is null
            ? Results.StatusCode(status)
            : Results.Json(result(), statusCode: status);
    }

    private static async Task<(JsonNode? Node, IResult? Error)> ReadJsonAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "COM0004", $"the body is larger than {MaxBodyBytes} bytes"));
        }

        var body = await Pipeline.BoundedBody.ReadAsync(context.Request.Body, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "COM0004", $"the body is larger than {MaxBodyBytes} bytes"));
        }

        if (body.Length == 0)
        {
            return (null, null);
        }

        var node = StrictJson.Parse(body, lenient: false, out var error);
        return error is null ? (node, null) : (null, Error(StatusCodes.Status400BadRequest, "COM0001", $"the body is {error}"));
    }

    private static List<KeyValuePair<string, string>>? ParseTagList(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return null;
        }

        var tags = new List<KeyValuePair<string, string>>();
        foreach (var item in array)
        {
            if (Str(item, "tagName") is not { } name || Str(item, "tagValue") is not { } value)
            {
                return null;
            }

            tags.Add(new(name, value));
        }

        return tags;
    }

    private static void MergeTags(JsonObject o, List<KeyValuePair<string, string>> tags)
    {
        var existing = o["tags"] as JsonObject ?? [];
        o["tags"] = existing;
        foreach (var (name, value) in tags)
        {
            existing[name] = value;
        }
    }

    private static string? Str(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static IResult NotFound(string what, string id) => Error(StatusCodes.Status404NotFound, "COM0002", $"No such {what}: {id}");

    private static IResult Error(int status, string code, string message, IReadOnlyList<string>? errors = null)
    {
        var body = new JsonObject { ["code"] = code, ["message"] = message };
        if (errors is { Count: > 1 })
        {
            body["errors"] = new JsonArray([.. errors.Select(static e => (JsonNode?)e)]);
        }

        return Results.Json(body, statusCode: status);
    }
}
