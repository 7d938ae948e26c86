using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Admin;
using Gateway.Registry;
using Microsoft.Extensions.Primitives;

namespace Gateway.Harvest;

/// <summary>
/// SORACOM's Harvest Data read API on the admin port (spec §4.3): <c>GET /v1/data/{resource_type}/{resource_id}</c>
/// (<c>from</c>, <c>to</c> Unix ms; <c>sort</c> desc by default; <c>limit</c> 1–1000, default 10;
/// <c>last_evaluated_key</c>; the next page's key in <c>x-soracom-next-key</c> and a <c>link</c> header), one entry
/// (<c>GET</c>/<c>DELETE …/{time}</c>), <c>GET /v1/data/metadata/resources</c> (and its deprecated alias
/// <c>/v1/data/resources</c>), the legacy <c>GET /v1/subscribers/{imsi}/data</c>, and <c>GET
/// /v1/data/categories/{category}</c> (every resource's entries with that category). Mapped on the admin API's
/// <c>/v1</c> group, so its authentication and SAM check apply, under SORACOM's operation names
/// (<c>DataEntry:getDataEntries</c>, …).
/// </summary>
internal static class HarvestApi
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 1000;

    /// <summary>SORACOM's resource types (spec §4.2); this gateway writes Subscriber, LoraDevice and SigfoxDevice.</summary>
    public static readonly IReadOnlyList<string> ResourceTypes = ["Subscriber", "LoraDevice", "Sim", "SigfoxDevice", "Device", "SoraCam"];

    public static void MapHarvestApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/data/metadata/resources", (Func<HttpContext, Task<IResult>>)ListResourcesAsync).WithMetadata(new SamOperation("DataEntry:listDataSourceResources"));
        api.MapGet("/data/resources", (Func<HttpContext, Task<IResult>>)ListResourcesAsync).WithMetadata(new SamOperation("DataEntry:listDataSourceResources"));
        api.MapGet("/data/{resourceType}/{resourceId}", (HttpContext c, string resourceType, string resourceId) => ListEntriesAsync(c, resourceType, resourceId))
            .WithMetadata(new SamOperation("DataEntry:getDataEntries"));
        // A literal segment outranks a parameter, so "categories" is never read as a resource type.
        api.MapGet("/data/categories/{category}", (HttpContext c, string category) => ListCategoryAsync(c, category))
            .WithMetadata(new SamOperation("DataEntry:getDataEntriesByCategory"));
        api.MapGet("/subscribers/{imsi}/data", (HttpContext c, string imsi) => ListEntriesAsync(c, "Subscriber", imsi))
            .WithMetadata(new SamOperation("Subscriber:getDataFromSubscriber"));
        api.MapGet("/data/{resourceType}/{resourceId}/{time}", GetEntryAsync).WithMetadata(new SamOperation("DataEntry:getDataEntry"));
        api.MapDelete("/data/{resourceType}/{resourceId}/{time}", DeleteEntryAsync).WithMetadata(new SamOperation("DataEntry:deleteDataEntry"));
    }

    private static async Task<IResult> ListEntriesAsync(HttpContext context, string resourceType, string resourceId)
    {
        var errors = new List<string>();
        CheckType(resourceType, errors);
        var (from, to, limit, ascending) = Range(context.Request.Query, errors);
        var after = context.Request.Query["last_evaluated_key"].FirstOrDefault() is { } key ? HarvestPageKey.ParseEntryKey(key, resourceId, errors) : null;
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        if (context.RequestServices.GetService<IHarvestStore>() is not { } store)
        {
            return NotRunning();
        }

        var ct = context.RequestAborted;

        // One more than asked tells whether there is a next page without a count.
        var entries = await store.QueryAsync(new HarvestQuery(resourceType, resourceId, from, to, ascending, limit + 1, after), ct);
        if (entries.Count == 0 && after is null && await store.GetResourceAsync(resourceType, resourceId, ct) is null && !Known(context, resourceType, resourceId))
        {
            return Error(StatusCodes.Status404NotFound, "COM0002", $"No such resource: {resourceType}/{resourceId} has no data and is not a known device");
        }

        if (entries.Count > limit)
        {
            entries = [.. entries.Take(limit)];
            SetNextKey(context, HarvestPageKey.EntryKey(entries[^1]));
        }

        return Results.Json(new JsonArray([.. entries.Select(static e => (JsonNode)Write(e))]));
    }

    /// <summary>Entries of every resource with the category; an unknown category has none (there is no list of categories to 404 against).</summary>
    private static async Task<IResult> ListCategoryAsync(HttpContext context, string category)
    {
        var errors = new List<string>();
        var (from, to, limit, ascending) = Range(context.Request.Query, errors);
        var after = context.Request.Query["last_evaluated_key"].FirstOrDefault() is { } key ? HarvestPageKey.ParseCategoryKey(key, errors) : null;
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        if (context.RequestServices.GetService<IHarvestStore>() is not { } store)
        {
            return NotRunning();
        }

        var entries = await store.QueryCategoryAsync(new HarvestCategoryQuery(category, from, to, ascending, limit + 1, after), context.RequestAborted);
        if (entries.Count > limit)
        {
            entries = [.. entries.Take(limit)];
            SetNextKey(context, HarvestPageKey.CategoryKey(entries[^1]));
        }

        return Results.Json(new JsonArray([.. entries.Select(static e => (JsonNode)Write(e))]));
    }

    /// <summary>The query parameters both entry listings share: <c>from</c>, <c>to</c>, <c>limit</c>, <c>sort</c>.</summary>
    private static (long? From, long? To, int Limit, bool Ascending) Range(IQueryCollection query, List<string> errors)
    {
        var from = Number(query["from"], "from", 0, long.MaxValue, errors);
        var to = Number(query["to"], "to", 0, long.MaxValue, errors);
        var limit = (int)(Number(query["limit"], "limit", 1, MaxLimit, errors) ?? DefaultLimit);
        var sort = query["sort"].FirstOrDefault() ?? "desc";
        if (sort is not ("asc" or "desc"))
        {
            errors.Add($"sort must be asc or desc (was '{sort}')");
        }

        if (from > to)
        {
            errors.Add("from must not be after to");
        }

        return (from, to, limit, sort == "asc");
    }

    private static async Task<IResult> GetEntryAsync(HttpContext context, string resourceType, string resourceId, string time)
    {
        var errors = new List<string>();
        CheckType(resourceType, errors);
        var ms = Number(time, "time", 0, long.MaxValue, errors);
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        if (context.RequestServices.GetService<IHarvestStore>() is not { } store)
        {
            return NotRunning();
        }

        return await store.GetAsync(resourceType, resourceId, ms!.Value, context.RequestAborted) is { } entry
            ? Results.Json(Write(entry))
            : NoEntry(resourceType, resourceId, ms.Value);
    }

    private static async Task<IResult> DeleteEntryAsync(HttpContext context, string resourceType, string resourceId, string time)
    {
        var errors = new List<string>();
        CheckType(resourceType, errors);
        var ms = Number(time, "time", 0, long.MaxValue, errors);
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        if (context.RequestServices.GetService<IHarvestStore>() is not { } store)
        {
            return NotRunning();
        }

        return await store.DeleteAsync(resourceType, resourceId, ms!.Value, context.RequestAborted)
            ? Results.NoContent()
            : NoEntry(resourceType, resourceId, ms.Value);
    }

    private static async Task<IResult> ListResourcesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var errors = new List<string>();
        var type = query["resource_type"].FirstOrDefault();
        if (type is not null)
        {
            CheckType(type, errors);
        }

        var limit = (int)(Number(query["limit"], "limit", 1, MaxLimit, errors) ?? DefaultLimit);
        var after = query["last_evaluated_key"].FirstOrDefault() is { } key ? HarvestPageKey.ParseResourceKey(key, errors) : null;
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        if (context.RequestServices.GetService<IHarvestStore>() is not { } store)
        {
            return NotRunning();
        }

        var resources = await store.ListResourcesAsync(type, limit + 1, after, context.RequestAborted);
        if (resources.Count > limit)
        {
            resources = [.. resources.Take(limit)];
            SetNextKey(context, HarvestPageKey.ResourceKey(resources[^1]));
        }

        return Results.Json(new JsonArray([.. resources.Select(static r => (JsonNode)new JsonObject
        {
            ["resourceType"] = r.ResourceType,
            ["resourceId"] = r.ResourceId,
            ["lastModifiedTime"] = r.LastModifiedTime,
            ["attributeNames"] = new JsonArray([.. r.AttributeNames.Select(static n => (JsonNode?)n)]),
        })]));
    }

    /// <summary>A device the registry knows has a (possibly empty) time series; any other resource with no data is unknown.</summary>
    private static bool Known(HttpContext context, string resourceType, string resourceId) =>
        resourceType == "Subscriber" && context.RequestServices.GetService<RegistryService>()?.Snapshot.FindByImsi(resourceId) is not null;

    /// <summary>SORACOM's DataEntry; <c>category</c> only on entries that have one.</summary>
    private static JsonObject Write(HarvestEntry e)
    {
        var o = new JsonObject
        {
            ["time"] = e.Time,
            ["contentType"] = e.ContentType,
            ["content"] = e.Content,
            ["resourceType"] = e.ResourceType,
            ["resourceId"] = e.ResourceId,
        };
        if (e.Category is not null)
        {
            o["category"] = e.Category;
        }

        return o;
    }

    private static void SetNextKey(HttpContext context, string next)
    {
        context.Response.Headers["x-soracom-next-key"] = next;
        var request = context.Request;
        var pairs = request.Query.Where(static q => q.Key != "last_evaluated_key")
            .SelectMany(static q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"))
            .Append($"last_evaluated_key={Uri.EscapeDataString(next)}");
        context.Response.Headers.Link = $"<{request.PathBase}{request.Path}?{string.Join('&', pairs)}>; rel=next";
    }

    private static void CheckType(string type, List<string> errors)
    {
        if (!ResourceTypes.Contains(type))
        {
            errors.Add($"resource_type '{type}' is not one of {string.Join(", ", ResourceTypes)}");
        }
    }

    private static long? Number(StringValues value, string name, long min, long max, List<string> errors)
    {
        var text = value.FirstOrDefault();
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            errors.Add($"{name} must be a whole number from {min} to {max} (was '{text}')");
            return null;
        }

        return n;
    }

    private static IResult NoEntry(string type, string id, long time) =>
        Error(StatusCodes.Status404NotFound, "COM0002", $"No such data entry: {type}/{id} at {time}");

    private static IResult NotRunning() => Error(StatusCodes.Status503ServiceUnavailable, "COM0005", "Harvest is not running in this gateway");

    private static IResult BadRequest(List<string> errors) => Error(StatusCodes.Status400BadRequest, "COM0001", string.Join("; ", errors));

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["code"] = code, ["message"] = message }, statusCode: status);
}
